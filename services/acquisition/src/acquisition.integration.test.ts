import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clipTopic, telemetrySchema, topics, trainingSampleSchema } from '@pdm/contract';
import { SampleStore } from '@pdm/store';
import {
  badInputCorpus,
  type FakeInflux,
  type RunningService,
  startFakeInflux,
  startMosquitto,
  startService,
} from '@pdm/testkit';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { brokerForFile, metricsOf, storePath, trainingRun, waitForRows } from './testing/acquisition-run.ts';

const broker = brokerForFile();

function acquisition(args: string[], env: Record<string, string>, cwd?: string): RunningService {
  const service = startService(
    'acquisition',
    ['--http-port', '0', ...args],
    { MQTT_URL: broker.url, ...env },
    cwd ? { cwd } : {},
  );
  return broker.track(service);
}

function storedKeys(path: string): string[] {
  const store = SampleStore.open(path, { readonly: true });
  const keys = [...store.iterate()].map((s) => `${s.pump_id}#${s.seq}`);
  store.close();
  return keys;
}

describe('acquisition against a real Mosquitto and a real SQLite file', () => {
  it('stores every sample of a 50-pump training run exactly once', async () => {
    const acq = acquisition(['--lanes', '8'], { MQTT_CLIENT_ID: 'acq-it-1', MQTT_SHARE_GROUP: 'it1' });
    await acq.waitForLine(/"subscribed"/);
    const published = await trainingRun(
      broker.url,
      ['--pumps', '50', '--weibull-eta', '100', '--seed', '11'],
      'sim-it-1',
    );
    expect(await waitForRows(storePath(acq), published, acq)).toBe(published);
    const keys = storedKeys(storePath(acq));
    expect(new Set(keys).size).toBe(published);
    const metrics = await metricsOf(acq);
    expect(metrics).toContain(`pdm_acquisition_stored_total ${published}`);
    expect(metrics).toMatch(/pdm_acquisition_write_latency_ms_count [1-9]/);
    // prom-client's process figures, on the service's own registry
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds [\d.e-]+$/m);
  });

  it('loses nothing when killed with SIGKILL three times while a training run streams', async () => {
    const env = { MQTT_CLIENT_ID: 'acq-it-2', MQTT_SHARE_GROUP: 'it2' };
    let acq = acquisition(['--lanes', '4'], env);
    const cwd = acq.cwd;
    await acq.waitForLine(/"subscribed"/);
    const sim = startService(
      'training-simulator',
      ['--pumps', '40', '--weibull-eta', '150', '--seed', '12'],
      {
        MQTT_URL: broker.url,
        MQTT_CLIENT_ID: 'sim-it-2',
      },
    );
    for (let kill = 0; kill < 3; kill++) {
      // Let it ingest for a random while, then pull the plug mid-stream.
      await waitForRows(storePath(acq), 1 + kill * 3000, acq);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 600));
      acq.signal('SIGKILL');
      await acq.exited;
      acq = acquisition(['--lanes', '4'], env, cwd);
    }
    expect(await sim.exited).toBe(0);
    const summary = sim.logs().find((l) => l.msg === 'training run complete') as { samples: number };
    await waitForRows(join(cwd, 'data/pdm.sqlite'), summary.samples, acq);
    const keys = storedKeys(join(cwd, 'data/pdm.sqlite'));
    expect(keys).toHaveLength(summary.samples);
    // Exactly the published set: every pump's seq from 0 without a gap.
    const perPump = new Map<string, number[]>();
    for (const k of keys) {
      const [pump, seq] = k.split('#') as [string, string];
      perPump.set(pump, [...(perPump.get(pump) ?? []), Number(seq)]);
    }
    expect(perPump.size).toBe(40);
    for (const seqs of perPump.values()) expect(seqs.sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i));
  });

  it('dead-letters each kind of bad input with its reason, keeps going, and stores the valid messages in between', async () => {
    const acq = acquisition(['--lanes', '2', '--store-telemetry'], {
      MQTT_CLIENT_ID: 'acq-it-3',
      MQTT_SHARE_GROUP: 'it3',
    });
    await acq.waitForLine(/"subscribed"/);
    const valid = {
      pump_id: 'pump-bad-input',
      ts: 1_767_225_600_000,
      seq: 0,
      vibration_x: 1.4,
      vibration_y: 1.2,
      vibration_z: 0.8,
      vibration_rms: 1.17,
      temperature: 56.6,
      pressure: 6.3,
      flow: 117,
      current: 56.4,
      rpm: 2957.7,
      state: 'HEALTHY',
      health_pct: 99,
      rul_h: 100,
      failure_mode: 'CAVITATION',
    };
    expect(trainingSampleSchema.safeParse(valid).success).toBe(true);
    const corpus = badInputCorpus(topics.training, valid);
    expect(new Set(corpus.map((c) => c.reason)).size).toBeGreaterThanOrEqual(10);
    expect(corpus.length).toBeGreaterThanOrEqual(15);

    const client = await mqtt.connectAsync(broker.url, {
      clientId: 'bad-input-publisher',
      protocolVersion: 5,
    });
    let seq = 0;
    const publishValid = () => {
      seq += 1;
      return client.publishAsync(
        topics.training(valid.pump_id),
        JSON.stringify({ ...valid, seq, ts: valid.ts + seq * 1000 }),
        { qos: 1 },
      );
    };
    for (const bad of corpus) {
      await publishValid();
      await client.publishAsync(bad.topic, bad.payload, { qos: 1 });
    }
    await publishValid();
    // Raw telemetry with the ground truth missing is fine on the telemetry topic, not on the training one.
    const { state: _s, health_pct: _h, rul_h: _r, failure_mode: _f, ...raw } = valid;
    expect(telemetrySchema.safeParse(raw).success).toBe(true);
    await client.publishAsync(topics.telemetry('pump-raw'), JSON.stringify({ ...raw, pump_id: 'pump-raw' }), {
      qos: 1,
    });
    await client.publishAsync(topics.training(valid.pump_id), JSON.stringify({ ...raw, seq: 999 }), {
      qos: 1,
    });
    await client.endAsync();

    const validCount = corpus.length + 1 + 1;
    await waitForRows(storePath(acq), validCount, acq);
    const deadline = Date.now() + 30_000;
    let letters: ReturnType<SampleStore['deadLetters']> = [];
    while (Date.now() < deadline && letters.length < corpus.length + 1) {
      const store = SampleStore.open(storePath(acq), { readonly: true });
      letters = store.deadLetters();
      store.close();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(letters.map((l) => l.reason)).toEqual([...corpus.map((c) => c.reason), 'missing_field']);
    for (const [i, bad] of corpus.entries()) {
      const letter = letters[i];
      expect(letter?.topic, bad.name).toBe(clipTopic(bad.topic));
      expect(letter?.payloadBytes, bad.name).toBe(bad.payload.length);
      expect(letter?.payload.length, bad.name).toBe(Math.min(bad.payload.length, 4096));
      expect(letter?.detail.length, bad.name).toBeGreaterThan(0);
    }
    // A 60 KB topic is clipped in its dead letter and in the log.
    expect(Math.max(...letters.map((l) => l.topic?.length ?? 0))).toBeLessThan(300);
    expect(acq.stdout()).not.toContain('x'.repeat(1000));
    const metrics = await metricsOf(acq);
    expect(metrics).toContain('pdm_acquisition_invalid_total{reason="oversized"} 1');
    expect(metrics).toContain('pdm_acquisition_invalid_total{reason="non_finite"} 3');
    const health = await fetch(
      `http://127.0.0.1:${(JSON.parse(await acq.waitForLine(/serving/)) as { port: number }).port}/healthz`,
    );
    expect(health.status).toBe(200);
    expect(acq.child.exitCode).toBeNull();
  });

  it('dead-letters a second sample with a stored pump and time but another topic or other values, and stores a redelivery once', async () => {
    const acq = acquisition(['--lanes', '1', '--store-telemetry'], {
      MQTT_CLIENT_ID: 'acq-it-6',
      MQTT_SHARE_GROUP: 'it6',
    });
    await acq.waitForLine(/"subscribed"/);
    const raw = {
      pump_id: 'pump-conflict',
      ts: 1_767_225_600_000,
      seq: 0,
      vibration_x: 1.4,
      vibration_y: 1.2,
      vibration_z: 0.8,
      vibration_rms: 1.17,
      temperature: 56.6,
      pressure: 6.3,
      flow: 117,
      current: 56.4,
      rpm: 2957.7,
    };
    const label = { state: 'HEALTHY', health_pct: 99, rul_h: 100, failure_mode: 'CAVITATION' };
    const labelledTwin = JSON.stringify({ ...raw, ...label });
    const next = JSON.stringify({ ...raw, ...label, seq: 1, ts: raw.ts + 1000 });
    const nextAltered = JSON.stringify({ ...raw, ...label, seq: 1, ts: raw.ts + 1000, temperature: 57.1 });
    const client = await mqtt.connectAsync(broker.url, {
      clientId: 'conflict-publisher',
      protocolVersion: 5,
    });
    try {
      // One lane takes the messages one at a time, in this order.
      const publish = (topic: string, payload: string) => client.publishAsync(topic, payload, { qos: 1 });
      await publish(topics.telemetry(raw.pump_id), JSON.stringify(raw));
      await publish(topics.training(raw.pump_id), labelledTwin);
      await publish(topics.training(raw.pump_id), next);
      await publish(topics.training(raw.pump_id), next);
      await publish(topics.training(raw.pump_id), nextAltered);
    } finally {
      await client.endAsync();
    }
    const deadline = Date.now() + 30_000;
    let letters: ReturnType<SampleStore['deadLetters']> = [];
    while (letters.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const store = SampleStore.open(storePath(acq), { readonly: true });
      letters = store.deadLetters();
      store.close();
    }
    expect(letters.map((l) => [l.reason, l.topic, l.payload.toString()])).toEqual([
      ['conflict', topics.training(raw.pump_id), labelledTwin],
      ['conflict', topics.training(raw.pump_id), nextAltered],
    ]);
    expect(letters[0]?.detail).toContain('stored from telemetry, this copy from training');
    expect(letters[1]?.detail).toContain('temperature 56.6 → 57.1');
    expect(storedKeys(storePath(acq))).toEqual(['pump-conflict#0', 'pump-conflict#1']);
    const metrics = await metricsOf(acq);
    expect(metrics).toContain('pdm_acquisition_conflicts_total{kind="other_source"} 1');
    expect(metrics).toContain('pdm_acquisition_conflicts_total{kind="other_values"} 1');
    expect(metrics).toMatch(/^pdm_acquisition_duplicates_total 1$/m);
    expect(metrics).toMatch(/^pdm_acquisition_stored_total 2$/m);
    expect(acq.logs().filter((l) => l.kind === 'conflict')).toHaveLength(2);
  });

  it('rides out an InfluxDB outage (HTTP 503) with the backlog on disk, then delivers every point exactly once', async () => {
    const influx: FakeInflux = await startFakeInflux();
    try {
      // Down until acquisition has seen it fail (not for a fixed time: a slow machine would miss it).
      influx.failFor(600_000, { status: 503, message: 'service unavailable' });
      const acq = acquisition(['--lanes', '4', '--store', 'influxdb'], {
        MQTT_CLIENT_ID: 'acq-it-5',
        MQTT_SHARE_GROUP: 'it5',
        INFLUX_URL: influx.url,
        INFLUX_TOKEN: influx.token,
        INFLUX_ORG: influx.org,
        INFLUX_BUCKET: influx.bucket,
      });
      await acq.waitForLine(/"subscribed"/);
      const published = await trainingRun(
        broker.url,
        ['--pumps', '10', '--weibull-eta', '100', '--seed', '14'],
        'sim-it-5',
      );
      await acq.waitForLine(/InfluxDB write failed; backlog kept on disk/);
      influx.failFor(0, { status: 503, message: 'service unavailable' });
      const keys = await waitForPoints(influx, published);
      expect(keys.size).toBe(published);
      expect(influx.stats().byStatus[503]).toBeGreaterThan(0);
      await acq.waitForLine(/InfluxDB accepts writes again/);
      const metrics = await metricsOf(acq);
      expect(metrics).toContain(`pdm_acquisition_forwarded_total ${published}`);
      expect(metrics).toContain('pdm_acquisition_backlog_rows 0');

      // A batch the server refuses as bad data goes to the dead letters; the rest keeps flowing.
      influx.failNext(1, { status: 400, message: 'partial write: field type conflict' });
      const more = await trainingRun(
        broker.url,
        ['--pumps', '10', '--weibull-eta', '100', '--seed', '15'],
        'sim-it-5b',
      );
      let letters: ReturnType<SampleStore['deadLetters']> = [];
      for (let i = 0; i < 150 && letters.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        const store = SampleStore.open(storePath(acq), { readonly: true });
        letters = store.deadLetters();
        store.close();
      }
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ origin: 'influxdb', reason: 'influxdb_400' });
      expect(letters[0]?.detail).toContain('field type conflict');
      const rejected = letters[0]?.payload.toString().split('\n').length ?? 0;
      expect(rejected).toBeGreaterThan(0);
      expect((await waitForPoints(influx, published + more - rejected)).size).toBe(
        published + more - rejected,
      );
      expect(acq.child.exitCode).toBeNull();
    } finally {
      await influx.stop();
    }
  });

  it('keeps every message queued while it is down; Mosquitto’s stock limits would have dropped most', async () => {
    const stock = await startMosquitto({ stockLimits: true });
    try {
      const outage = async (url: string, cwd: string, label: string) => {
        const env = { MQTT_URL: url, MQTT_CLIENT_ID: `acq-${label}`, MQTT_SHARE_GROUP: label };
        // Register the persistent sessions, then go away.
        const first = startService('acquisition', ['--http-port', '0', '--lanes', '2'], env, { cwd });
        broker.track(first);
        await first.waitForLine(/"subscribed"/);
        first.signal('SIGTERM');
        expect(await first.exited).toBe(0);
        const sim = startService(
          'training-simulator',
          ['--pumps', '20', '--weibull-eta', '120', '--seed', '13'],
          {
            MQTT_URL: url,
            MQTT_CLIENT_ID: `sim-${label}`,
          },
        );
        expect(await sim.exited).toBe(0);
        const published = (sim.logs().find((l) => l.msg === 'training run complete') as { samples: number })
          .samples;
        const second = startService('acquisition', ['--http-port', '0', '--lanes', '2'], env, { cwd });
        broker.track(second);
        await second.waitForLine(/connected to MQTT broker/);
        // Give the broker time to hand over whatever it kept.
        let stored = 0;
        for (let i = 0; i < 40; i++) {
          await new Promise((r) => setTimeout(r, 250));
          const store = SampleStore.open(join(cwd, 'data/pdm.sqlite'), { readonly: true });
          const now = store.count();
          store.close();
          if (now === published || (now === stored && now > 0 && i > 8)) {
            stored = now;
            break;
          }
          stored = now;
        }
        return { published, stored };
      };
      const ours = await outage(broker.url, tempDir(), 'outage-ours');
      const theirs = await outage(stock.url, tempDir(), 'outage-stock');
      expect(ours.stored).toBe(ours.published);
      expect(theirs.published).toBeGreaterThan(4000);
      expect(theirs.stored).toBeLessThanOrEqual(2 * 1000 + 2 * 20);
    } finally {
      await stock.stop();
    }
  });
});

/** Distinct points (pump_id + time) the fake InfluxDB holds, once it holds at least `count`. */
async function waitForPoints(influx: FakeInflux, count: number, timeoutMs = 60_000): Promise<Set<string>> {
  const deadline = Date.now() + timeoutMs;
  let keys = new Set<string>();
  while (Date.now() < deadline) {
    keys = new Set(influx.points().map((p) => `${p.tags.pump_id}@${p.time}`));
    if (keys.size >= count) return keys;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`InfluxDB holds ${keys.size} of ${count} points after ${timeoutMs} ms`);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pdm-acq-'));
}
