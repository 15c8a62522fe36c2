import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SampleStore } from '@pdm/store';
import { afterAll, describe, expect, it } from 'vitest';
import { fillStore, labelledFleet } from './fixtures.ts';
import { batchAsRows, emptyRow, ValueBatcher, valuesAsRows } from './value-batches.ts';

const dir = mkdtempSync(join(tmpdir(), 'pdm-batches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stored values as rows', () => {
  const path = join(dir, 'pdm.sqlite');
  const fleet = [...labelledFleet({ pumps: 3, etaH: 5 })];
  // Raw telemetry has no ground truth: nulls must survive the trip too.
  const unlabelled = [...labelledFleet({ pumps: 2, etaH: 5, idPrefix: 'raw' })].map(
    ({ state: _s, health_pct: _h, rul_h: _r, failure_mode: _f, ...telemetry }) => telemetry,
  );
  fillStore(path, fleet);
  fillStore(path, unlabelled as never, 'telemetry');

  it('are the samples iterate() gives, read in this thread', () => {
    const store = SampleStore.open(path, { readonly: true });
    const expected = [...store.iterate()];
    const rows = [...valuesAsRows(store.iterateValues())].length;
    expect(rows).toBe(expected.length);
    const copies = Array.from(valuesAsRows(store.iterateValues()), (r) => ({ ...r }));
    expect(copies).toEqual(expected);
    store.close();
  });

  it('are the samples iterate() gives after packing into batches and back, across pump boundaries', () => {
    const store = SampleStore.open(path, { readonly: true });
    const expected = [...store.iterate()];
    const batcher = new ValueBatcher(7);
    const row = emptyRow();
    const copies: object[] = [];
    const drain = () => {
      for (const r of batchAsRows(batcher.take(), row)) copies.push({ ...r });
    };
    for (const values of store.iterateValues()) {
      batcher.add(values);
      if (batcher.full) drain();
    }
    if (batcher.samples > 0) drain();
    expect(copies).toEqual(expected);
    expect(expected.some((s) => s.state === null) && expected.some((s) => s.state !== null)).toBe(true);
    store.close();
  });
});
