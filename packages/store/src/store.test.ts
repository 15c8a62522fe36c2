import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type NewSample, SAMPLE_COLUMNS, SampleStore, StoreError } from './index.ts';

const dirs: string[] = [];
function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-store-'));
  dirs.push(dir);
  return join(dir, 'nested', 'pdm.sqlite');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sample(pump: string, ts: number, state: 'HEALTHY' | 'BROKEN' | null = 'HEALTHY'): NewSample {
  const base = {
    pump_id: pump,
    ts,
    seq: ts,
    vibration_x: 1,
    vibration_y: 1,
    vibration_z: 1,
    vibration_rms: 1,
    temperature: 50,
    pressure: 6,
    flow: 100,
    current: 40,
    rpm: 2950,
  };
  return state
    ? {
        sample: { ...base, state, health_pct: 90, rul_h: 10, failure_mode: 'CAVITATION' },
        source: 'training',
      }
    : { sample: base, source: 'telemetry' };
}

describe('SQLite store', () => {
  it('stores a sample once, however often it is redelivered', () => {
    const store = SampleStore.open(tempPath());
    expect(store.write({ samples: [sample('p1', 1), sample('p1', 2)] }).samples).toMatchObject({
      inserted: 2,
    });
    expect(store.write({ samples: [sample('p1', 2), sample('p1', 3)] }).samples).toEqual({
      inserted: 1,
      duplicates: 1,
      conflicts: [],
    });
    expect(store.count()).toBe(3);
    store.close();
  });

  it('dead-letters a different sample under a stored key, and tells it from a redelivery', () => {
    const store = SampleStore.open(tempPath());
    const raw = sample('p', 1, null);
    store.write({ samples: [raw, sample('p', 2)] });
    const labelled = {
      ...sample('p', 1),
      topic: 'pdm/v1/training/p',
      payload: Buffer.from('{"labelled":true}'),
    };
    const base = sample('p', 2);
    const altered = { ...base, sample: { ...base.sample, temperature: 51, seq: 7 } };
    const result = store.write({ samples: [raw, labelled, altered, sample('p', 3)] }).samples;
    expect(result).toMatchObject({ inserted: 1, duplicates: 1 });
    expect(result.conflicts.map((c) => [c.kind, c.sample])).toEqual([
      ['other_source', labelled],
      ['other_values', altered],
    ]);
    expect(result.conflicts[1]?.detail).toMatch(/seq 2 → 7.*temperature 50 → 51/);
    expect(store.deadLetters()).toMatchObject([
      {
        origin: 'mqtt',
        reason: 'conflict',
        topic: 'pdm/v1/training/p',
        payload: Buffer.from('{"labelled":true}'),
        detail: expect.stringMatching(/stored from telemetry, this copy from training/),
      },
      { reason: 'conflict', topic: null, payload: Buffer.from(JSON.stringify(altered.sample)) },
    ]);
    expect(store.count()).toBe(3);
    store.close();
  });

  it('keeps what it wrote across a reopen, and reads it back by pump then time', () => {
    const path = tempPath();
    const writer = SampleStore.open(path);
    writer.write({ samples: [sample('b', 2), sample('a', 5), sample('b', 1), sample('a', 4, null)] });
    const reader = SampleStore.open(path, { readonly: true });
    expect([...reader.iterate()].map((s) => `${s.pump_id}@${s.ts}`)).toEqual(['a@4', 'a@5', 'b@1', 'b@2']);
    expect([...reader.iterate({ labelledOnly: true, pumps: ['a'] })].map((s) => s.ts)).toEqual([5]);
    expect([...reader.iterate({ sinceMs: 2, untilMs: 5 })].map((s) => s.ts)).toEqual([4, 2]);
    const unlabelled = [...reader.iterate({ pumps: ['a'] })][0];
    expect(unlabelled?.state).toBeNull();
    expect(Object.fromEntries(reader.countByState())).toEqual({ HEALTHY: 3 });
    const asValues = [...reader.iterateValues({ pumps: ['a'] })].map((values) =>
      Object.fromEntries(SAMPLE_COLUMNS.map((column, i) => [column, values[i]])),
    );
    expect(asValues).toEqual([...reader.iterate({ pumps: ['a'] })]);
    reader.close();
    writer.close();
  });

  it('records dead letters in the same transaction as the samples', () => {
    const store = SampleStore.open(tempPath());
    store.write({
      samples: [sample('p', 1)],
      deadLetters: [
        {
          origin: 'mqtt',
          topic: 't',
          reason: 'not_json',
          detail: 'x',
          payload: Buffer.from('{'),
          payloadBytes: 1,
        },
      ],
    });
    expect(store.deadLetters()).toMatchObject([
      { reason: 'not_json', payload: Buffer.from('{'), topic: 't' },
    ]);
    store.close();
  });

  it('hands out the outbox in insertion order, as stored lines, and forgets only what was marked forwarded', () => {
    const store = SampleStore.open(tempPath());
    store.write({ samples: [1, 2, 3, 4, 5].map((t) => ({ ...sample('p', t), outboxLine: `line ${t}` })) });
    expect(store.outboxBacklog()).toBe(5);
    const lines = (batch: ReturnType<SampleStore['nextOutboxBatch']>) =>
      batch?.rows.map((r) => ('line' in r ? r.line : '?'));
    const first = store.nextOutboxBatch('samples', 2);
    expect(lines(first)).toEqual(['line 1', 'line 2']);
    expect(lines(store.nextOutboxBatch('samples', 2))).toEqual(['line 1', 'line 2']);
    store.markForwarded('samples', first?.lastId as number);
    expect(store.outboxBacklog()).toBe(3);
    expect(lines(store.nextOutboxBatch('samples', 10))).toEqual(['line 3', 'line 4', 'line 5']);
    expect(lines(store.nextOutboxBatch('samples', 10, 4))).toEqual(['line 5']);
    // The row at the cursor stays: an emptied table would count ids from 1 again, below the cursor.
    expect(store.pruneForwarded(Date.now() + 1)).toBe(1);
    expect(store.count()).toBe(4);
    store.close();
  });

  it('forwards what arrives after everything was forwarded and pruned', () => {
    const store = SampleStore.open(tempPath());
    store.write({ samples: [1, 2].map((t) => ({ ...sample('p', t), outboxLine: `line ${t}` })) });
    store.markForwarded('samples', store.nextOutboxBatch('samples', 10)?.lastId as number);
    store.pruneForwarded(Date.now() + 1);
    store.write({ samples: [{ ...sample('p', 3), outboxLine: 'line 3' }] });
    expect(store.outboxBacklog()).toBe(1);
    expect(store.nextOutboxBatch('samples', 10)?.rows).toEqual([{ line: 'line 3' }]);
    store.close();
  });

  it('hands a sample stored without a line out as the sample iterate() reads, no ground truth as undefined', () => {
    const store = SampleStore.open(tempPath());
    store.write({
      samples: [sample('a', 1), { ...sample('a', 2, null), outboxLine: 'a2' }, sample('a', 3, null)],
    });
    const batch = store.nextOutboxBatch('samples', 10);
    const stored = [...store.iterate()].map((s) =>
      Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v ?? undefined])),
    );
    expect(batch?.rows).toEqual([{ sample: stored[0] }, { line: 'a2' }, { sample: stored[2] }]);
    const third = batch?.rows[2];
    expect(third && 'sample' in third && third.sample.state).toBeUndefined();
    store.close();
  });

  it('explains a missing file, and a file that is not a store', () => {
    const missing = tempPath();
    expect(() => SampleStore.open(missing, { readonly: true })).toThrow(
      new StoreError('not_found', `no SQLite store at ${missing}`),
    );
    const garbage = join(dirs[0] as string, 'garbage.sqlite');
    writeFileSync(garbage, 'this is not a database, just text long enough to be read as a header...');
    expect(() => SampleStore.open(garbage, { readonly: true })).toThrow(StoreError);
  });
});
