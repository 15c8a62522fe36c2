import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { encodeTrainingSample, type TrainingSample, topics } from '@pdm/contract';
import { afterAll, describe, expect, it } from 'vitest';
import { FLEET_START_MS, fillStore, labelledFleet } from './fixtures.ts';
import { type JsonlInput, openJsonlSource } from './jsonl-source.ts';
import type { RowFilter, RowSource } from './row-source.ts';
import { openSqliteSource } from './source.ts';

const root = mkdtempSync(join(tmpdir(), 'pdm-jsonl-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** As the training simulator sends it: pumps interleaved, step by step. */
const fleet = [...labelledFleet({ pumps: 5, etaH: 30, seed: 8 })];
const asLine = (s: TrainingSample) =>
  `{"topic":"${topics.training(s.pump_id)}","payload":${encodeTrainingSample(s)}}`;

function input(lines: readonly string[]): JsonlInput {
  return { name: 'stdin', open: () => Readable.from(lines.map((l) => `${l}\n`)) };
}

function jsonl(lines: readonly string[]): { source: RowSource; spoolDir: string } {
  const spoolDir = mkdtempSync(join(root, 'out-'));
  return { source: openJsonlSource(input(lines), { spoolDir }), spoolDir };
}

async function rowsOf(source: RowSource, filter: RowFilter = {}): Promise<object[]> {
  const rows: object[] = [];
  for await (const batch of source.rows(filter)) for (const row of batch) rows.push({ ...row });
  return rows;
}

describe('JSON Lines source', () => {
  it('gives the counts and rows a store of the same samples gives: per pump in time order, although the lines interleave the pumps', async () => {
    const path = join(mkdtempSync(join(root, 'store-')), 'pdm.sqlite');
    fillStore(path, fleet);
    const store = openSqliteSource(path);
    const { source } = jsonl(fleet.map(asLine));
    const filter = {
      sinceMs: FLEET_START_MS + 3_600_000,
      pumps: [fleet[0]?.pump_id, fleet[3]?.pump_id] as string[],
    };
    try {
      expect(await source.countStates(filter)).toEqual(await store.countStates(filter));
      expect(await source.countRows({})).toBe(fleet.length);
      const rows = await rowsOf(source, filter);
      expect(rows.length).toBeGreaterThan(10);
      expect(rows).toEqual(await rowsOf(store, filter));
      expect(source.warnings?.()).toEqual([]);
    } finally {
      source.close();
      store.close();
    }
  });

  it('leaves out the lines that are no sample, and counts them by reason for a warning', async () => {
    const lines = fleet.map(asLine);
    lines.splice(3, 0, 'garbage');
    lines.splice(10, 0, '{"topic":"pdm/v1/groundtruth/p1","payload":{}}', '', '[]');
    const { source } = jsonl(lines);
    try {
      expect((await source.countStates({})).rows).toBe(fleet.length);
      expect(source.warnings?.()).toEqual([
        {
          message: 'lines that are no training or telemetry sample were left out',
          details: {
            lines: 3,
            of: fleet.length + 3,
            reasons: { not_json: 1, unknown_topic: 1, not_a_message: 1 },
            examples: [
              expect.stringMatching(/^line 4: not_json: /),
              expect.stringMatching(/^line 11: unknown_topic: /),
              'line 13: not_a_message: expected {"topic": "…", "payload": {…}}',
            ],
          },
        },
      ]);
    } finally {
      source.close();
    }
  });

  it('stores a repeated sample once, as acquisition does, and warns about a repeat with other values', async () => {
    const first = fleet[0] as TrainingSample;
    const changed = { ...first, temperature: first.temperature + 1 };
    const { source } = jsonl([...fleet.map(asLine), asLine(first), asLine(changed)]);
    try {
      expect(await source.countRows({})).toBe(fleet.length);
      expect(source.warnings?.()).toEqual([
        {
          message: 'samples repeating the pump and time of an earlier one with other values were left out',
          details: { samples: 1 },
        },
      ]);
    } finally {
      source.close();
    }
  });

  it('refuses an input with no sample in it, naming the reasons and the first bad line', async () => {
    const { source } = jsonl(['garbage', '[]', 'more garbage']);
    await expect(source.countStates({})).rejects.toMatchObject({
      code: 'no_rows',
      message: expect.stringMatching(
        /^no samples in JSON Lines on stdin: none of its 3 lines is a training or telemetry sample \(not_json: 2, not_a_message: 1\); line 1: not_json: /,
      ),
    });
    source.close();
    const empty = jsonl(['', '']).source;
    await expect(empty.countRows({})).rejects.toThrow('no samples in JSON Lines on stdin: it holds no lines');
    empty.close();
  });

  it('keeps its samples in a temporary store beside the output while it is open, and removes it on close', async () => {
    const { source, spoolDir } = jsonl(fleet.map(asLine));
    await source.countRows({});
    expect(readdirSync(spoolDir)).toEqual([expect.stringMatching(/^\.export-spool-/)]);
    source.close();
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it('fails with source_unavailable naming the file when it cannot be read', async () => {
    const missing = join(root, 'missing.jsonl');
    const source = openJsonlSource(
      { name: missing, open: () => createReadStream(missing) },
      { spoolDir: mkdtempSync(join(root, 'out-')) },
    );
    await expect(source.countRows({})).rejects.toMatchObject({
      code: 'source_unavailable',
      message: expect.stringContaining(`cannot read JSON Lines ${missing}: ENOENT`),
    });
    source.close();
  });
});
