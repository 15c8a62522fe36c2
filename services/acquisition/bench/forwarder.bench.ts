/**
 * The InfluxDB forwarder as acquisition runs it with STORE=influxdb: SQLite outbox reads, gzip, HTTP and
 * marking, into the fake InfluxDB in a process of its own. `pnpm bench influxForwarder` reports it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInfluxWriter, encodeSample } from '@pdm/influx';
import { startFakeProcess } from '@pdm/influx/bench';
import { trainingFleet } from '@pdm/pump-physics';
import { MetricsRegistry } from '@pdm/service-kit';
import { type NewSample, SampleStore } from '@pdm/store';
import { pino } from 'pino';
import { Forwarder } from '../src/forwarder.ts';

export interface ForwarderBenchResult {
  readonly points: number;
  readonly pointsPerSecond: number;
  /** time the fake spent parsing and answering: it shares the two cores with the forwarder */
  readonly fakeAnsweringMs: number;
}

export async function benchForwarder(): Promise<ForwarderBenchResult> {
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
        store.write({ samples: batch });
        batch = [];
      }
    }
    store.write({ samples: batch });
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
    const seconds = (performance.now() - started) / 1000;
    await forwarder.stop();
    store.close();
    const stats = await fake.stats();
    if (stats.linesAccepted !== points)
      throw new Error(`the fake accepted ${stats.linesAccepted} of ${points} points`);
    return { points, pointsPerSecond: points / seconds, fakeAnsweringMs: stats.answeringMs };
  } finally {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
