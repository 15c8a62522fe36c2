import { groundTruthSchema, trainingSampleSchema } from '@pdm/contract';
import { freePort, type Mosquitto, recordMessages, startMosquitto, startService } from '@pdm/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

const summaryOf = (logs: Record<string, unknown>[]) =>
  logs.find((l) => l.msg === 'training run complete') as Record<string, number | boolean>;

describe('training simulator against a real Mosquitto', () => {
  it('delivers every message of a 50-pump run with QoS 1, each pump’s seq contiguous', async () => {
    const recorder = await recordMessages(broker.url, 'pdm/v1/training/+');
    try {
      const sim = startService(
        'training-simulator',
        ['--pumps', '50', '--weibull-eta', '60', '--interval-s', '600', '--seed', '5'],
        {
          MQTT_URL: broker.url,
          MQTT_CLIENT_ID: 'training-simulator-it-1',
        },
      );
      expect(await sim.exited).toBe(0);
      const summary = summaryOf(sim.logs());
      expect(summary.pumps).toBe(50);
      expect(summary.acknowledged).toBe(summary.samples);
      expect(summary.failed).toBe(0);
      const received = await recorder.waitFor(summary.samples as number);
      expect(received).toHaveLength(summary.samples as number);

      const seqs = new Map<string, number[]>();
      for (const m of received) {
        const sample = trainingSampleSchema.parse(JSON.parse(m.payload.toString()));
        expect(m.topic).toBe(`pdm/v1/training/${sample.pump_id}`);
        seqs.set(sample.pump_id, [...(seqs.get(sample.pump_id) ?? []), sample.seq]);
      }
      expect(seqs.size).toBe(50);
      for (const list of seqs.values()) expect(list).toEqual(list.map((_, i) => i));
    } finally {
      await recorder.close();
    }
  });

  it('flushes in-flight messages on SIGINT: everything sent is acknowledged and delivered', async () => {
    const recorder = await recordMessages(broker.url, 'pdm/v1/training/+');
    try {
      const sim = startService('training-simulator', ['--pumps', '2000', '--seed', '6'], {
        MQTT_URL: broker.url,
        MQTT_CLIENT_ID: 'training-simulator-it-2',
      });
      await sim.whileRunning(recorder.waitFor(5000));
      sim.signal('SIGINT');
      expect(await sim.exited).toBe(0);
      const summary = summaryOf(sim.logs());
      expect(summary.stoppedEarly).toBe(true);
      expect(summary.acknowledged).toBe(summary.samples);
      await recorder.waitFor(summary.samples as number);
      expect(recorder.messages).toHaveLength(summary.samples as number);
    } finally {
      await recorder.close();
    }
  });

  it('retries with a clear log line while the broker is unreachable, and stops cleanly on SIGTERM', async () => {
    const closedPort = await freePort();
    const sim = startService('training-simulator', ['--pumps', '5'], {
      MQTT_URL: `mqtt://127.0.0.1:${closedPort}`,
    });
    const line = await sim.waitForLine(/MQTT broker unreachable, retrying/);
    expect(line).toContain(`mqtt://127.0.0.1:${closedPort}`);
    sim.signal('SIGTERM');
    expect(await sim.exited).toBe(0);
    expect(sim.stdout()).toContain('stopped before connecting');
  });

  it('rejects invalid flags with exit code 2, naming each problem, and publishes nothing', async () => {
    const recorder = await recordMessages(broker.url, '#');
    try {
      const sim = startService('training-simulator', ['--pumps', '0', '--weibull-eta', 'long', '--colour'], {
        MQTT_URL: broker.url,
      });
      expect(await sim.exited).toBe(2);
      expect(sim.stderr()).toContain('--pumps / PUMPS: must be at least 1');
      expect(sim.stderr()).toContain('--weibull-eta / WEIBULL_ETA_H: expected a number');
      expect(sim.stderr()).toContain('unknown option --colour');
      const probe = await recordMessages(broker.url, 'pdm/v1/probe');
      await probe.client.publishAsync('pdm/v1/probe', 'x', { qos: 1 });
      await recorder.waitFor(1, (m) => m.topic === 'pdm/v1/probe');
      await probe.close();
      expect(recorder.messages.filter((m) => m.topic.startsWith('pdm/v1/training/'))).toHaveLength(0);
    } finally {
      await recorder.close();
    }
  });

  it('writes JSON Lines with --stdout, the same for the same seed', async () => {
    const run = async () => {
      const sim = startService('training-simulator', [
        '--pumps',
        '3',
        '--weibull-eta',
        '20',
        '--stdout',
        '--seed',
        '9',
      ]);
      expect(await sim.exited).toBe(0);
      return sim.stdout();
    };
    const [first, second] = await Promise.all([run(), run()]);
    expect(first).toBe(second);
    const lines = first.trim().split('\n');
    expect(lines.length).toBeGreaterThan(30);
    for (const line of lines) {
      const { topic, payload } = JSON.parse(line) as { topic: string; payload: unknown };
      const sample = trainingSampleSchema.parse(payload);
      expect(topic).toBe(`pdm/v1/training/${sample.pump_id}`);
    }
  });

  it('with --mode stress gives each pump the lifetime the production simulator gives it in STRESS mode, one sample a second', async () => {
    const common = ['--pumps', '40', '--seed', '9', '--id-prefix', 'pump', '--stdout'];
    const training = startService('training-simulator', [...common, '--mode', 'stress']);
    // SIM_MODE, case as a user types it: the variable the production simulator reads too.
    const production = startService(
      'production-simulator',
      [...common, '--duration', '1', '--time-scale', '1000'],
      {
        SIM_MODE: 'Stress',
      },
    );
    expect(await training.exited).toBe(0);
    expect(await production.exited).toBe(0);
    const lines = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { topic: string; payload: unknown });

    const trained = new Map<string, number[]>();
    const ts = new Map<string, number[]>();
    for (const { payload } of lines(training.stdout())) {
      const sample = trainingSampleSchema.parse(payload);
      if (sample.seq === 0) trained.set(sample.pump_id, [sample.rul_h]);
      ts.set(sample.pump_id, [...(ts.get(sample.pump_id) ?? []), sample.ts]);
    }
    const served = new Map<string, number[]>();
    for (const { topic, payload } of lines(production.stdout())) {
      if (!topic.startsWith('pdm/v1/groundtruth/')) continue;
      const truth = groundTruthSchema.parse(payload);
      if (truth.seq === 0) served.set(truth.pump_id, [truth.rul_h]);
    }
    expect(served.size).toBe(40);
    // A new pump's remaining life is its whole lifetime: the same draw on both sides.
    expect(trained).toEqual(served);
    const lifetimesS = [...trained.values()].map(([rulH]) => (rulH as number) * 3600);
    const meanS = lifetimesS.reduce((a, b) => a + b, 0) / lifetimesS.length;
    expect(meanS).toBeGreaterThan(100);
    expect(meanS).toBeLessThan(200);
    for (const list of ts.values())
      expect(list.slice(1).map((t, i) => t - (list[i] as number))).toEqual(list.slice(1).map(() => 1000));
  });

  it('names each production mode in --help with the mean life and η it sets', async () => {
    const help = startService('training-simulator', ['--help']);
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('--mode M');
    expect(help.stdout()).toContain('STRESS (mean life 2.5 min, η 0.04702 h, repair 15 s)');
    expect(help.stdout()).toContain('NOMINAL (mean life 27 h, η 30.47 h, repair 30 min)');
  });
});
