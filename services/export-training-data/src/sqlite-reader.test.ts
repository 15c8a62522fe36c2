import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SampleStore } from '@pdm/store';
import { afterAll, describe, expect, it } from 'vitest';
import { fillStore, labelledFleet } from './fixtures.ts';
import { readerThreadAvailable, readInThread } from './sqlite-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'pdm-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reader thread', () => {
  it('gives the samples iterate() gives, in the same order, filter applied', async () => {
    expect(readerThreadAvailable()).toBe(true);
    const path = join(dir, 'pdm.sqlite');
    // several batches of 8192, across many pump boundaries
    fillStore(path, labelledFleet({ pumps: 12, etaH: 400, maxSamples: 40_000 }));
    const filter = { sinceMs: Date.UTC(2026, 0, 2), untilMs: Date.UTC(2026, 1, 1) };
    const store = SampleStore.open(path, { readonly: true });
    const expected = [...store.iterate(filter)];
    store.close();
    const read: object[] = [];
    for await (const batch of readInThread(path, filter)) for (const row of batch) read.push({ ...row });
    expect(read.length).toBeGreaterThan(2 * 8192);
    expect(read).toEqual(expected);
  });

  it('fails with source_failed naming the path when the file is not a store', async () => {
    const rows = readInThread(join(dir, 'missing.sqlite'), {});
    await expect(rows[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'source_failed' });
    await expect(
      readInThread(join(dir, 'missing.sqlite'), {})[Symbol.asyncIterator]().next(),
    ).rejects.toThrow(/missing\.sqlite/);
  });
});
