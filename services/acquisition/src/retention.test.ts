import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsRegistry } from '@pdm/service-kit';
import { SampleStore } from '@pdm/store';
import { prediction, telemetry } from '@pdm/store/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Retention } from './retention.ts';

const DAY = 86_400_000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('retention in acquisition', () => {
  it('deletes what is older than RETAIN_DAYS in bounded steps until none is left, then only looks now and then', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-acq-retention-'));
    dirs.push(dir);
    const store = SampleStore.open(join(dir, 'pdm.sqlite'), { durability: 'NORMAL' });
    const now = Date.now();
    for (let i = 0; i < 50; i++) {
      const ts = now - 40 * DAY + i * 1000;
      store.write(
        {
          samples: [{ sample: telemetry('p', ts), source: 'telemetry' }],
          predictions: [{ prediction: prediction('p', ts) }],
        },
        ts,
      );
    }
    store.write({ predictions: [{ prediction: prediction('p', now) }] }, now);
    const registry = new MetricsRegistry();
    const deleted = registry.counter('deleted', 'rows deleted');
    const pruneExpired = vi.spyOn(store, 'pruneExpired');
    const retention = new Retention(
      store,
      { retainMs: 30 * DAY, stepRows: 7, busyPauseMs: 1, idlePauseMs: 60_000 },
      deleted,
      pino({ level: 'silent' }),
    );
    retention.start();
    try {
      // 49 old samples (the newest row of a table stays) and 50 old predictions, 7 of each a step
      await vi.waitFor(() => expect(store.countPredictions()).toBe(1), { timeout: 10_000 });
      await vi.waitFor(() => expect(pruneExpired.mock.results.at(-1)?.value.more).toBe(false));
      expect(store.count()).toBe(1);
      const steps = pruneExpired.mock.calls.length;
      expect(steps).toBeGreaterThanOrEqual(Math.ceil(50 / 7));
      for (const result of pruneExpired.mock.results) expect(result.value.deleted).toBeLessThanOrEqual(4 * 7);
      expect(await registry.metrics()).toMatch(/^deleted 99$/m);
      // caught up: the next look is a minute away
      await new Promise((r) => setTimeout(r, 50));
      expect(pruneExpired.mock.calls.length).toBe(steps);
    } finally {
      retention.stop();
      store.close();
    }
  });
});
