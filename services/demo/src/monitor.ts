/** Watches the bus like an operator would: every prediction, alert and ground truth, live. */
import {
  alertSchema,
  groundTruthSchema,
  LiveScorer,
  PUMP_STATES,
  type PumpState,
  parseTopic,
  predictionSchema,
} from '@pdm/contract';
import mqtt, { type MqttClient } from 'mqtt';

export class FleetMonitor {
  telemetry = 0;
  predictions = 0;
  alarms = 0;
  recoveries = 0;
  /** each pump's reported (smoothed) state */
  readonly states = new Map<string, PumpState>();
  readonly scorer = new LiveScorer();
  #client: MqttClient | undefined;

  async connect(url: string, username?: string, password?: string): Promise<void> {
    // A viewer: clean session, no status, MQTT 3.1.1 so the embedded broker takes it too.
    this.#client = await mqtt.connectAsync(url, {
      clientId: `demo-monitor-${process.pid}`,
      clean: true,
      protocolVersion: 4,
      username,
      password,
      reconnectPeriod: 1000,
    });
    this.#client.on('message', (topic, payload) => this.#handle(topic, payload));
    await this.#client.subscribeAsync(
      ['pdm/v1/telemetry/+', 'pdm/v1/predictions/+', 'pdm/v1/alerts/+', 'pdm/v1/groundtruth/+'],
      { qos: 1 },
    );
  }

  /** pumps per reported state, in PUMP_STATES order */
  counts(): Record<PumpState, number> {
    const counts = Object.fromEntries(PUMP_STATES.map((s) => [s, 0])) as Record<PumpState, number>;
    for (const s of this.states.values()) counts[s] += 1;
    return counts;
  }

  async close(): Promise<void> {
    await this.#client?.endAsync();
  }

  #handle(topic: string, payload: Buffer): void {
    const kind = parseTopic(topic)?.kind;
    if (kind === 'telemetry') {
      this.telemetry += 1;
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString());
    } catch {
      return; // chaos sends malformed telemetry; anything else malformed is not ours to judge here
    }
    if (kind === 'predictions') {
      const p = predictionSchema.safeParse(body);
      if (!p.success) return;
      this.predictions += 1;
      this.states.set(p.data.pump_id, p.data.state);
      this.scorer.addPrediction(p.data.pump_id, p.data.seq, p.data.state, false);
    } else if (kind === 'groundtruth') {
      const t = groundTruthSchema.safeParse(body);
      if (t.success) this.scorer.addTruth(t.data.pump_id, t.data.seq, t.data.state);
    } else if (kind === 'alerts') {
      const a = alertSchema.safeParse(body);
      if (!a.success) return;
      if (a.data.kind === 'alarm') this.alarms += 1;
      else this.recoveries += 1;
    }
  }
}
