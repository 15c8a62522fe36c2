/** Issue 3 figures: ingest from a real Mosquitto into SQLite, and the InfluxDB forwarder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInfluxWriter, encodeSample } from '@pdm/influx';
import { trainingFleet } from '@pdm/pump-physics';
import { MetricsRegistry } from '@pdm/service-kit';
import { type NewSample, SampleStore } from '@pdm/store';
import { startMosquitto, startService } from '@pdm/testkit';
import { pino } from 'pino';
import { startFakeProcess } from '../packages/influx/bench/forwarder.bench.ts';
import { Forwarder } from '../services/acquisition/src/forwarder.ts';
import { bareSubscribers } from './mqtt-ceiling.ts';
import { type BenchRow, formatNumber } from './table.ts';

async function countRows(path: string): Promise<number> {
  try {
    const store = SampleStore.open(path, { readonly: true });
    const n = store.count();
    store.close();
    return n;
  } catch {
    return 0;
  }
}

/**
 * Sustained ingest: the messages wait in the broker (the service was down), then acquisition drains
 * them as deployed (one connection, one plain subscription), acknowledging each only after its commit.
 * The ceiling is the same drain by a bare mqtt.js QoS 1 subscriber on one connection, acknowledging at
 * once and storing nothing.
 */
async function acquisitionIngest(): Promise<BenchRow> {
  const broker = await startMosquitto();
  const cwd = mkdtempSync(join(tmpdir(), 'pdm-bench-acq-'));
  try {
    const env = { MQTT_URL: broker.url, MQTT_CLIENT_ID: 'bench-acq' };
    const args = ['--http-port', '0'];
    const first = startService('acquisition', args, env, { cwd });
    await first.waitForLine(/"subscribed"/);
    first.signal('SIGTERM');
    await first.exited;

    const bare = await bareSubscribers(broker.url, 1, 'pdm/v1/training/+');
    await bare.disconnect();

    const sim = startService('training-simulator', ['--pumps', '60', '--seed', '2'], {
      MQTT_URL: broker.url,
    });
    await sim.exited;
    const published = (sim.logs().find((l) => l.msg === 'training run complete') as { samples: number })
      .samples;

    const acq = startService('acquisition', args, env, { cwd });
    await acq.waitForLine(/connected to MQTT broker/);
    const started = performance.now();
    const path = join(cwd, 'data/pdm.sqlite');
    while ((await countRows(path)) < published) await new Promise((r) => setTimeout(r, 100));
    const ingestRate = published / ((performance.now() - started) / 1000);
    acq.signal('SIGTERM');
    await acq.exited;

    const ceiling = await bare.drain(published);
    return {
      benchmark: `acquisition: drain ${formatNumber(published)} queued msgs into SQLite (FULL fsync), ack after commit, one connection`,
      figure: `${formatNumber(ingestRate)} msg/s`,
      target: '≥ 10,000 msg/s',
      baseline: `bare mqtt.js QoS 1 subscriber, one connection, no disk: ${formatNumber(ceiling)} msg/s`,
      ok: ingestRate >= 10_000,
    };
  } finally {
    await broker.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** The whole forwarder (SQLite outbox reads, encoding, gzip, HTTP, marking) into the fake InfluxDB. */
async function influxForwarder(): Promise<BenchRow> {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-bench-fwd-'));
  const fake = await startFakeProcess();
  try {
    const store = SampleStore.open(join(dir, 'outbox.sqlite'), { durability: 'NORMAL' });
    let batch: NewSample[] = [];
    for (const m of trainingFleet({
      pumps: 100,
      seed: 3,
      lifetime: { beta: 2, eta: 1000 },
      intervalS: 600,
      postFailureSamples: 10,
      startMs: Date.parse('2026-01-01T00:00:00Z'),
      idPrefix: 'fwd',
    })) {
      // As acquisition stores them with STORE=influxdb: each sample with its line, encoded on arrival.
      batch.push({ sample: m.sample, source: 'training', outboxLine: encodeSample(m.sample) });
      if (batch.length === 10_000) {
        store.write(batch);
        batch = [];
      }
    }
    store.write(batch);
    const points = store.outboxBacklog();
    const registry = new MetricsRegistry();
    const forwarder = new Forwarder(
      store,
      createInfluxWriter({ ...fake.target, timeoutMs: 30_000 }),
      { batchLines: 5000, concurrency: 2, retainMs: 3_600_000 },
      { forwarded: registry.counter('f', 'f'), errors: registry.counter('e', 'e', ['kind']) },
      pino({ level: 'silent' }),
    );
    const started = performance.now();
    forwarder.start();
    while (store.outboxBacklog() > 0) await new Promise((r) => setTimeout(r, 50));
    const rate = points / ((performance.now() - started) / 1000);
    await forwarder.stop();
    store.close();
    const stats = await fake.stats();
    process.stderr.write(
      `forwarder: ${points} points in ${((performance.now() - started) / 1000).toFixed(2)} s; the fake spent ${(stats.answeringMs / 1000).toFixed(2)} s answering\n`,
    );
    if (stats.linesAccepted !== points)
      throw new Error(`the fake accepted ${stats.linesAccepted} of ${points} points`);
    return {
      benchmark: `InfluxDB forwarder: ${formatNumber(points)} points from the SQLite outbox into the fake InfluxDB (own process)`,
      figure: `${formatNumber(rate)} points/s`,
      target: '≥ 100,000 points/s',
      baseline: "includes the fake's strict line-protocol parsing on the other core",
      ok: rate >= 100_000,
    };
  } finally {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const acquisitionBenchmarks = { acquisitionIngest, influxForwarder };
