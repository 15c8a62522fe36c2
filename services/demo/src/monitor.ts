/** Watches the bus like an operator would: every prediction, alert and ground truth, live. */
import {
  alertSchema,
  groundTruthSchema,
  LiveScorer,
  PUMP_STATES,
  type PumpState,
  parseTopic,
  predictionSchema,
  topicFilter,
} from '@pdm/contract';
import { connectMqtt, type Logger, type MqttConnection } from '@pdm/service-kit';

export interface MonitorSettings {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly logger: Logger;
}

export class FleetMonitor {
  telemetry = 0;
  predictions = 0;
  alarms = 0;
  recoveries = 0;
  /** each pump's reported (smoothed) state */
  readonly states = new Map<string, PumpState>();
  readonly scorer = new LiveScorer();
  #mqtt: MqttConnection | undefined;

  async connect({ url, username, password, logger }: MonitorSettings): Promise<void> {
    // A viewer: an ephemeral session, no status. On the embedded broker (MQTT 3.1.1 only) the kit
    // falls back to a clean 3.1.1 session, which ends with the connection all the same.
    this.#mqtt = await connectMqtt({
      url,
      username,
      password,
      clientId: 'demo-monitor',
      service: 'demo-monitor',
      session: 'ephemeral',
      logger,
      subscriptions: [
        topicFilter('telemetry'),
        topicFilter('predictions'),
        topicFilter('alerts'),
        topicFilter('groundtruth'),
      ],
      onMessage: (topic, payload) => this.#handle(topic, payload),
    });
  }

  /** pumps per reported state, in PUMP_STATES order */
  counts(): Record<PumpState, number> {
    const counts = Object.fromEntries(PUMP_STATES.map((s) => [s, 0])) as Record<PumpState, number>;
    for (const s of this.states.values()) counts[s] += 1;
    return counts;
  }

  async close(): Promise<void> {
    await this.#mqtt?.close();
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
      this.scorer.addPrediction(p.data.pump_id, p.data.seq, p.data.state, false, p.data.rul_h);
    } else if (kind === 'groundtruth') {
      const t = groundTruthSchema.safeParse(body);
      if (t.success) this.scorer.addTruth(t.data.pump_id, t.data.seq, t.data.state, t.data.rul_h);
    } else if (kind === 'alerts') {
      const a = alertSchema.safeParse(body);
      if (!a.success) return;
      if (a.data.kind === 'alarm') this.alarms += 1;
      else if (a.data.kind === 'recovered') this.recoveries += 1;
    }
  }
}
