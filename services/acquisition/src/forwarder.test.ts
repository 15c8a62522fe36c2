import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInfluxWriter, encodeAlert, PREDICTION_MEASUREMENT } from '@pdm/influx';
import { MetricsRegistry } from '@pdm/service-kit';
import { OUTBOX_TABLES, SampleStore } from '@pdm/store';
import { alert, prediction, recovery, T0, telemetry } from '@pdm/store/testing';
import { type FakeInflux, startFakeInflux } from '@pdm/testkit';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Forwarder } from './forwarder.ts';

let influx: FakeInflux;
let dir: string;
beforeEach(async () => {
  influx = await startFakeInflux();
  dir = mkdtempSync(join(tmpdir(), 'pdm-forwarder-'));
});
afterEach(async () => {
  await influx.stop();
  rmSync(dir, { recursive: true, force: true });
});

function forwarders(store: SampleStore): Forwarder[] {
  const writer = createInfluxWriter({ ...influx, bucket: influx.bucket, timeoutMs: 10_000 });
  const registry = new MetricsRegistry();
  const metrics = { forwarded: registry.counter('f', 'f'), errors: registry.counter('e', 'e', ['kind']) };
  return OUTBOX_TABLES.map(
    (table) =>
      new Forwarder(
        store,
        writer,
        { table, batchLines: 2, concurrency: 2, retainMs: 3_600_000 },
        metrics,
        pino({ level: 'silent' }),
      ),
  );
}

describe('the forwarders of the outbox tables, against the fake InfluxDB', () => {
  it('forward every table, encoding the rows stored without a line, and a resent batch adds no point', async () => {
    const store = SampleStore.open(join(dir, 'outbox.sqlite'), { durability: 'NORMAL' });
    // Stored before STORE=influxdb was set (no lines), but one alert with its line.
    store.write({
      samples: [0, 1, 2].map((i) => ({
        sample: telemetry('p', T0 + i * 1000),
        source: 'telemetry' as const,
      })),
      predictions: [0, 1, 2, 3, 4].map((i) => ({ prediction: prediction('p', T0 + i * 1000) })),
      alerts: [
        { alert: alert('p', T0 + 4000) },
        { alert: recovery('p', T0 + 4000), outboxLine: encodeAlert(recovery('p', T0 + 4000)) },
      ],
    });
    const running = forwarders(store);
    for (const f of running) f.start();
    try {
      await vi.waitFor(() => expect(store.outboxBacklog()).toBe(0), { timeout: 20_000 });
      const points = influx.points();
      expect(points).toHaveLength(3 + 5 + 2);
      const predictions = points.filter((p) => p.measurement === PREDICTION_MEASUREMENT);
      expect(predictions[0]?.fields).toMatchObject({ state: 'HEALTHY', p_healthy: 0.5321, seq: 0n });
      expect(points.filter((p) => p.measurement === 'pump_alert').map((p) => p.tags.kind)).toEqual([
        'alarm',
        'recovered',
      ]);

      // As if the 2xx of every batch had been lost: each table's rows go out again.
      const accepted = influx.stats().linesAccepted;
      for (const table of OUTBOX_TABLES) store.markForwarded(table, 0);
      await vi.waitFor(() => expect(store.outboxBacklog()).toBe(0), { timeout: 20_000 });
      expect(influx.stats().linesAccepted).toBe(2 * accepted);
      expect(influx.points()).toEqual(points);
    } finally {
      await Promise.all(running.map((f) => f.stop()));
      store.close();
    }
  });
});
