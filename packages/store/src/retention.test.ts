import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type NewSample, SampleStore } from './index.ts';
import { alert, prediction, T0, telemetry } from './testing/records.ts';

const DAY = 86_400_000;
const dirs: string[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-retention-'));
  dirs.push(dir);
  return join(dir, 'pdm.sqlite');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function labelled(pump: string, ts: number): NewSample {
  return {
    sample: {
      ...telemetry(pump, ts),
      state: 'HEALTHY',
      health_pct: 90,
      rul_h: 10,
      failure_mode: 'CAVITATION',
    },
    source: 'training',
  };
}

const letter = {
  origin: 'mqtt' as const,
  topic: 't',
  reason: 'not_json',
  detail: 'x',
  payload: Buffer.from('{'),
  payloadBytes: 1,
};

/** One day's production rows for a pump, received on day `day`. */
function productionDay(store: SampleStore, day: number, pump = 'p'): void {
  const ts = T0 + day * DAY;
  store.write(
    {
      samples: [{ sample: telemetry(pump, ts), source: 'telemetry' }],
      predictions: [{ prediction: prediction(pump, ts) }],
      alerts: [{ alert: alert(pump, ts) }],
      deadLetters: [letter],
    },
    ts,
  );
}

function counts(store: SampleStore) {
  return {
    telemetry: store.count() - store.count({ labelledOnly: true }),
    labelled: store.count({ labelledOnly: true }),
    predictions: store.lastPredictions('p', Number.MAX_SAFE_INTEGER, 1000).length,
    alerts: store.alerts({ limit: 1000 }).length,
    deadLetters: store.deadLetters().length,
  };
}

describe('RETAIN_DAYS in the SQLite store', () => {
  it('deletes production rows received before the cutoff and keeps every labelled training sample', () => {
    const store = SampleStore.open(tempPath());
    store.write({ samples: [labelled('train', T0), labelled('train', T0 + 1000)] }, T0);
    for (let day = 0; day < 10; day++) productionDay(store, day);
    store.write({ samples: [labelled('train', T0 + 2000)] }, T0 + 10 * DAY);

    expect(store.pruneExpired(T0 + 7 * DAY, 1000)).toEqual({ deleted: 4 * 7, more: false });
    expect(counts(store)).toEqual({ telemetry: 3, labelled: 3, predictions: 3, alerts: 3, deadLetters: 3 });
    expect(store.latestPredictions().map((p) => p.ts)).toEqual([T0 + 9 * DAY]);
    // Nothing more is old enough: another step deletes nothing.
    expect(store.pruneExpired(T0 + 7 * DAY, 1000)).toEqual({ deleted: 0, more: false });
    store.close();
  });

  it('looks at no more than the given rows of a table per step, and resumes where it stopped after a reopen', () => {
    const path = tempPath();
    let store = SampleStore.open(path);
    // Training samples first: the walk has to get past them without deleting any.
    store.write({ samples: Array.from({ length: 5 }, (_, i) => labelled('train', T0 + i * 1000)) }, T0);
    for (let day = 0; day < 6; day++) productionDay(store, day);
    const cutoff = T0 + 100 * DAY;

    const first = store.pruneExpired(cutoff, 3);
    expect(first.more).toBe(true);
    // samples: three training rows looked at, none deleted; each other table: three rows deleted
    expect(first.deleted).toBe(9);
    expect(counts(store)).toMatchObject({ telemetry: 6, labelled: 5, predictions: 3, deadLetters: 3 });
    store.close();
    store = SampleStore.open(path);
    const steps = [first];
    while (steps.at(-1)?.more) steps.push(store.pruneExpired(cutoff, 3));
    for (const step of steps) expect(step.deleted).toBeLessThanOrEqual(4 * 3);
    // The newest row of each table always stays, so that SQLite never hands out its ids again.
    expect(counts(store)).toEqual({ telemetry: 1, labelled: 5, predictions: 1, alerts: 1, deadLetters: 1 });
    store.close();
  });

  it('never deletes a row received after the cutoff, even behind older ones', () => {
    const store = SampleStore.open(tempPath());
    for (let day = 0; day < 3; day++) productionDay(store, day);
    // received late (a clock step back on the host): it stays, and so does everything after it
    store.write({ samples: [{ sample: telemetry('p', T0 + 10 * DAY), source: 'telemetry' }] }, T0 + 10 * DAY);
    productionDay(store, 1.5, 'q');
    productionDay(store, 20);
    expect(store.pruneExpired(T0 + 5 * DAY, 100).more).toBe(false);
    const tsOf = [...store.iterate({ pumps: ['p'] })].map((s) => (s.ts - T0) / DAY);
    expect(tsOf).toEqual([10, 20]);
    store.close();
  });
});
