import {
  type ChaosKind,
  groundTruthSchema,
  parseTopic,
  telemetrySchema,
  topicFilter,
  validateGatewayGroundTruth,
  validateGatewayTelemetry,
} from '@pdm/contract';
import {
  type Mosquitto,
  type ReceivedMessage,
  recordMessages,
  startMosquitto,
  startService,
} from '@pdm/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

const summaryOf = (logs: Record<string, unknown>[]) =>
  logs.find((l) => l.msg === 'production run complete') as Record<string, unknown> & {
    samples: number;
    telemetrySent: number;
    gatewayMessagesSent: number;
    groundTruthSent: number;
    acknowledged: number;
  };

async function runFleet(args: string[], clientId: string) {
  const recorder = await recordMessages(broker.url, [
    topicFilter('telemetry'),
    topicFilter('groundtruth'),
    topicFilter('gateway_telemetry'),
    topicFilter('gateway_groundtruth'),
  ]);
  try {
    const sim = startService('production-simulator', args, {
      MQTT_URL: broker.url,
      MQTT_CLIENT_ID: clientId,
    });
    expect(await sim.exited).toBe(0);
    const summary = summaryOf(sim.logs());
    const telemetryMessages = summary.gatewayMessagesSent || summary.telemetrySent;
    expect(summary.acknowledged).toBe(telemetryMessages + summary.groundTruthSent);
    await recorder.waitFor(summary.acknowledged);
    return { summary, messages: [...recorder.messages] };
  } finally {
    await recorder.close();
  }
}

const ofKind = (messages: ReceivedMessage[], kind: 'telemetry' | 'groundtruth') =>
  messages.filter((m) => parseTopic(m.topic)?.kind === kind);

describe('production simulator against a real Mosquitto', () => {
  it('in STRESS mode emits telemetry and ground truth on separate topics, on a drift-free schedule', async () => {
    const { summary, messages } = await runFleet(
      ['--mode', 'stress', '--pumps', '20', '--duration', '3', '--interval-ms', '100'],
      'production-it-1',
    );
    expect(summary.samples).toBe(20 * 30);
    const telemetry = ofKind(messages, 'telemetry').map((m) => ({
      topic: m.topic,
      body: JSON.parse(m.payload.toString()),
    }));
    const truth = ofKind(messages, 'groundtruth').map((m) =>
      groundTruthSchema.parse(JSON.parse(m.payload.toString())),
    );
    expect(telemetry).toHaveLength(600);
    expect(truth).toHaveLength(600);
    for (const { topic, body } of telemetry) {
      expect(telemetrySchema.parse(body)).toEqual(body);
      expect(body).not.toHaveProperty('state');
      expect(topic).toBe(`pdm/v1/telemetry/${body.pump_id}`);
    }
    const tsBySeq = new Map(telemetry.map(({ body }) => [`${body.pump_id}:${body.seq}`, body.ts]));
    const byPump = new Map<string, number[]>();
    for (const t of truth) {
      expect(tsBySeq.get(`${t.pump_id}:${t.seq}`)).toBe(t.ts);
      byPump.set(t.pump_id, [...(byPump.get(t.pump_id) ?? []), t.ts]);
    }
    // Each pump samples exactly every 100 ms, and pumps are spread evenly over the interval.
    for (const ts of byPump.values()) {
      const sorted = [...ts].sort((a, b) => a - b);
      const gaps = sorted.slice(1).map((t, i) => t - (sorted[i] as number));
      expect(new Set(gaps)).toEqual(new Set([100]));
    }
    const firstTs = [...byPump.values()].map((ts) => Math.min(...ts)).sort((a, b) => a - b);
    expect((firstTs.at(-1) as number) - (firstTs[0] as number)).toBe(95);
  });

  it('replays faster with --time-scale, keeping device time and ageing as in real time', async () => {
    const { summary, messages } = await runFleet(
      ['--mode', 'stress', '--pumps', '10', '--duration', '20', '--time-scale', '20'],
      'production-it-scale',
    );
    expect(summary.samples).toBe(10 * 20);
    expect(summary.seconds as number).toBeLessThan(15);
    const truth = ofKind(messages, 'groundtruth').map((m) =>
      groundTruthSchema.parse(JSON.parse(m.payload.toString())),
    );
    const first = truth.filter((t) => t.pump_id === 'pump-00001').sort((a, b) => a.seq - b.seq);
    expect(first.slice(1).map((t, i) => t.ts - (first[i]?.ts ?? 0))).toEqual(Array(19).fill(1000));
    // The pump aged 19 device seconds, not 19 / 20: its remaining life fell by that, to rul_h's 0.001 h resolution.
    expect(first.at(-1)?.lifecycle).toBe(first[0]?.lifecycle);
    const aged = (first[0]?.rul_h ?? 0) - (first.at(-1)?.rul_h ?? 0);
    expect(Math.abs(aged - 19 / 3600)).toBeLessThanOrEqual(0.0011);
  });

  it('injects chaos at the configured rates, within statistical tolerance', async () => {
    const rates: Record<Exclude<ChaosKind, 'heatwave'>, number> & { heatwave: number } = {
      vibration_glitch: 0.02,
      heatwave: 0.004,
      sensor_freeze: 0.01,
      dropout: 0.01,
      malformed: 0.01,
    };
    const { messages } = await runFleet(
      [
        '--mode',
        'stress',
        '--pumps',
        '50',
        '--duration',
        '5',
        '--interval-ms',
        '20',
        '--chaos',
        '--glitch-rate',
        String(rates.vibration_glitch),
        '--heatwave-rate',
        String(rates.heatwave),
        '--freeze-rate',
        String(rates.sensor_freeze),
        '--dropout-rate',
        String(rates.dropout),
        '--malformed-rate',
        String(rates.malformed),
        '--seed',
        '21',
      ],
      'production-it-2',
    );
    const truth = ofKind(messages, 'groundtruth')
      .map((m) => groundTruthSchema.parse(JSON.parse(m.payload.toString())))
      .sort((a, b) => a.pump_id.localeCompare(b.pump_id) || a.seq - b.seq);
    expect(truth).toHaveLength(50 * 250);

    for (const [kind, rate] of Object.entries(rates) as [ChaosKind, number][]) {
      // A new event can start on any sample where none of its kind was active on the sample before.
      let starts = 0;
      let chances = 0;
      truth.forEach((t, i) => {
        const previous = truth[i - 1];
        const wasActive = previous?.pump_id === t.pump_id && previous.chaos.includes(kind);
        if (wasActive) return;
        chances += 1;
        if (t.chaos.includes(kind)) starts += 1;
      });
      const expected = rate * chances;
      // Binomial: allow 4.5 standard deviations, so the test is wrong about once in 150,000 runs.
      const tolerance = 4.5 * Math.sqrt(expected * (1 - rate)) + 1;
      expect(
        Math.abs(starts - expected),
        `${kind}: ${starts} starts, expected ${expected.toFixed(1)}`,
      ).toBeLessThan(tolerance);
      expect(starts).toBeGreaterThan(10);
    }

    // Dropped samples have no telemetry; malformed ones fail validation; the rest validate.
    const telemetry = ofKind(messages, 'telemetry');
    const dropouts = truth.filter((t) => t.chaos.includes('dropout')).length;
    const malformed = truth.filter((t) => t.chaos.includes('malformed')).length;
    expect(telemetry).toHaveLength(truth.length - dropouts);
    const invalid = telemetry.filter((m) => {
      try {
        return !telemetrySchema.safeParse(JSON.parse(m.payload.toString())).success;
      } catch {
        return true;
      }
    });
    expect(invalid).toHaveLength(malformed);
  });

  it('with --gateway-size sends each gateway’s pumps, and their ground truth, in one message each per interval, a malformed row beside good ones', async () => {
    const { summary, messages } = await runFleet(
      [
        ...['--mode', 'stress', '--pumps', '25', '--gateway-size', '10', '--duration', '3'],
        ...['--interval-ms', '100', '--chaos', '--malformed-rate', '0.02', '--dropout-rate', '0.01'],
        ...['--glitch-rate', '0', '--heatwave-rate', '0', '--freeze-rate', '0', '--seed', '5'],
      ],
      'production-it-gateway',
    );
    expect(ofKind(messages, 'telemetry')).toHaveLength(0);
    expect(ofKind(messages, 'groundtruth')).toHaveLength(0);
    // The truth of every sample, dropped or malformed ones too: one message per gateway and interval.
    const truthMessages = messages.filter((m) => parseTopic(m.topic)?.kind === 'gateway_groundtruth');
    expect(truthMessages).toHaveLength(3 * 30);
    expect(summary.groundTruthSent).toBe(3 * 30);
    const truth = truthMessages.flatMap((m) => {
      const verdict = validateGatewayGroundTruth(m.topic, m.payload);
      if (!verdict.ok) throw new Error(verdict.detail);
      expect(verdict.rejected).toEqual([]);
      return verdict.samples;
    });
    expect(truth).toHaveLength(25 * 30);
    expect(new Set(truth.map((t) => `${t.pump_id}:${t.seq}`)).size).toBe(25 * 30);
    const gatewayMessages = messages.filter((m) => parseTopic(m.topic)?.kind === 'gateway_telemetry');
    expect(gatewayMessages).toHaveLength(summary.gatewayMessagesSent);
    const stored = new Map<string, number>();
    const pumpsOf = new Map<string, Set<string>>();
    let rejected = 0;
    for (const m of gatewayMessages) {
      const verdict = validateGatewayTelemetry(m.topic, m.payload);
      if (!verdict.ok) throw new Error(verdict.detail);
      rejected += verdict.rejected.length;
      const pumps = pumpsOf.get(verdict.gatewayId) ?? new Set();
      for (const s of verdict.samples) {
        stored.set(`${s.pump_id}:${s.seq}`, s.ts);
        pumps.add(s.pump_id);
      }
      for (const r of verdict.rejected) if (r.pumpId) pumps.add(r.pumpId);
      pumpsOf.set(verdict.gatewayId, pumps);
    }
    // Three gateways: 10, 10 and 5 pumps, named after the pumps' prefix.
    expect([...pumpsOf.keys()].sort()).toEqual(['pump-gw-00001', 'pump-gw-00002', 'pump-gw-00003']);
    expect([...pumpsOf.values()].map((p) => p.size).sort()).toEqual([10, 10, 5]);
    // Each good row is the sample its ground truth describes; dropped samples are missing, malformed ones refused.
    const dropouts = truth.filter((t) => t.chaos.includes('dropout')).length;
    const malformed = truth.filter((t) => t.chaos.includes('malformed')).length;
    expect(malformed).toBeGreaterThan(0);
    expect(rejected).toBe(malformed);
    expect(stored.size).toBe(truth.length - dropouts - malformed);
    for (const t of truth) {
      const ts = stored.get(`${t.pump_id}:${t.seq}`);
      if (ts !== undefined) expect(ts).toBe(t.ts);
    }
  });

  it('runs until stopped and flushes every in-flight message on SIGTERM', async () => {
    const recorder = await recordMessages(broker.url, ['pdm/v1/telemetry/+', 'pdm/v1/groundtruth/+']);
    try {
      const sim = startService('production-simulator', ['--pumps', '500', '--interval-ms', '100'], {
        MQTT_URL: broker.url,
        MQTT_CLIENT_ID: 'production-it-3',
      });
      await sim.whileRunning(recorder.waitFor(3000));
      sim.signal('SIGTERM');
      expect(await sim.exited).toBe(0);
      const summary = summaryOf(sim.logs());
      expect(summary.acknowledged).toBe(summary.telemetrySent + summary.groundTruthSent);
      await recorder.waitFor(summary.acknowledged);
      expect(recorder.messages).toHaveLength(summary.acknowledged);
    } finally {
      await recorder.close();
    }
  });

  it('rejects an unknown mode with exit code 2', async () => {
    const sim = startService('production-simulator', ['--mode', 'turbo'], { MQTT_URL: broker.url });
    expect(await sim.exited).toBe(2);
    expect(sim.stderr()).toContain('--mode / SIM_MODE: expected one of NOMINAL, ACCELERATED, STRESS');
  });
});
