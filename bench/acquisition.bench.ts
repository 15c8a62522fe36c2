/** Issue 3 figures: ingest from a real Mosquitto into SQLite, and the InfluxDB forwarder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchForwarder } from '@pdm/acquisition/bench';
import { SampleStore } from '@pdm/store';
import { startMosquitto, startService } from '@pdm/testkit';
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
  const { points, pointsPerSecond, fakeAnsweringMs } = await benchForwarder();
  process.stderr.write(
    `forwarder: ${points} points; the fake spent ${(fakeAnsweringMs / 1000).toFixed(2)} s answering\n`,
  );
  return {
    benchmark: `InfluxDB forwarder: ${formatNumber(points)} points from the SQLite outbox into the fake InfluxDB (own process)`,
    figure: `${formatNumber(pointsPerSecond)} points/s`,
    target: '≥ 100,000 points/s',
    baseline: "includes the fake's strict line-protocol parsing on the other core",
    ok: pointsPerSecond >= 100_000,
  };
}

export const acquisitionBenchmarks = { acquisitionIngest, influxForwarder };
