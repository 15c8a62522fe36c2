import type { LabelledSample } from '@pdm/contract';
import { FEATURE_COUNT, FEATURE_NAMES } from '@pdm/features';
import { describe, expect, it } from 'vitest';
import { ByteBuffer } from './bytes.ts';
import { EXAMPLE_SAMPLE } from './fixtures.ts';
import { COLUMNS, rowFormat } from './format.ts';

const row: LabelledSample = EXAMPLE_SAMPLE;
const features = Float64Array.from({ length: FEATURE_COUNT }, (_, i) =>
  i % 3 === 0 ? -(i + 1) / 7 : i * 101.123456,
);
const rounded = Array.from(features, (x) => Math.round(x * 1e4) / 1e4);

function render(format: 'csv' | 'jsonl', rows: readonly LabelledSample[]): string {
  const chunks: Buffer[] = [];
  const out = new ByteBuffer((c) => chunks.push(c));
  const f = rowFormat(format);
  for (const r of rows) f.write(out, r, features);
  out.flush();
  return f.header + Buffer.concat(chunks).toString('utf8');
}

describe('CSV rows', () => {
  it('start with a header of ts, pump_id, seq, the features in FEATURE_NAMES order and the ground truth', () => {
    const [header] = render('csv', []).split('\n');
    expect(header?.split(',')).toEqual([
      'ts',
      'pump_id',
      'seq',
      ...FEATURE_NAMES,
      'state',
      'health_pct',
      'rul_h',
      'failure_mode',
    ]);
    expect(COLUMNS).toHaveLength(FEATURE_COUNT + 7);
  });

  it('hold the features at four decimals and the ground truth at its published resolution', () => {
    const [, line] = render('csv', [row]).split('\n');
    const cells = line?.split(',') ?? [];
    expect(cells.slice(0, 3)).toEqual(['1767225600000', 'train-s1-00001', '12']);
    expect(cells.slice(3, 3 + FEATURE_COUNT).map(Number)).toEqual(rounded);
    expect(cells[3]).toBe('-0.1429');
    expect(cells.slice(3 + FEATURE_COUNT)).toEqual(['WARNING', '61.50', '123.456', 'CAVITATION']);
  });

  it('leave missing ground truth empty and quote a pump id that needs it', () => {
    const [, line] = render('csv', [
      { ...row, pump_id: 'odd,"id"', state: null, health_pct: null, rul_h: null, failure_mode: null },
    ]).split('\n');
    expect(line?.startsWith('1767225600000,"odd,""id""",12,')).toBe(true);
    expect(line?.endsWith(',,,,')).toBe(true);
  });
});

describe('JSON Lines rows', () => {
  it('are one object per line with the columns as keys, in column order', () => {
    const lines = render('jsonl', [row, { ...row, seq: 13 }])
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(2);
    const parsed = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(COLUMNS);
    expect(FEATURE_NAMES.map((name) => parsed[name])).toEqual(rounded);
    expect(parsed).toMatchObject({
      ts: row.ts,
      pump_id: row.pump_id,
      seq: 12,
      state: 'WARNING',
      health_pct: 61.5,
      rul_h: 123.456,
      failure_mode: 'CAVITATION',
    });
    expect(JSON.parse(lines[1] as string)).toMatchObject({ seq: 13 });
  });

  it('write missing ground truth as null', () => {
    const line = render('jsonl', [
      { ...row, state: undefined, health_pct: undefined, rul_h: null, failure_mode: null },
    ]);
    expect(JSON.parse(line)).toMatchObject({
      state: null,
      health_pct: null,
      rul_h: null,
      failure_mode: null,
    });
  });
});
