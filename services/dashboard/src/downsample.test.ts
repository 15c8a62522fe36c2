import { describe, expect, it } from 'vitest';
import { MAX_POINTS } from './api/contract.ts';
import { downsample, type Row } from './downsample.ts';

/** n rows one second apart from `start`, two columns: a ramp and its negative. */
function ramp(start: number, n: number, stepMs = 1000): Row[] {
  return Array.from({ length: n }, (_, i) => [start + i * stepMs, i, -i]);
}

const allFinite = (values: ArrayLike<number>) => Array.from(values).every(Number.isFinite);

describe('downsample', () => {
  it('sends the rows as they are while the range holds at most maxPoints of them', async () => {
    const rows = ramp(10_000, 5);
    const d = await downsample(rows, { fromMs: 0, toMs: 100_000 }, 2, 10);
    expect(d.bucketMs).toBe(0);
    expect(d.t).toEqual([10_000, 11_000, 12_000, 13_000, 14_000]);
    expect(Array.from(d.min[0] as Float64Array)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(d.max[1] as Float64Array)).toEqual([-0, -1, -2, -3, -4]);
  });

  it('sends exactly MAX_POINTS rows as they are, and buckets from one more on', async () => {
    const range = { fromMs: 0, toMs: (MAX_POINTS + 1) * 1000 };
    const exact = await downsample(ramp(0, MAX_POINTS), range, 2, MAX_POINTS);
    expect(exact.bucketMs).toBe(0);
    expect(exact.t).toHaveLength(MAX_POINTS);

    const over = await downsample(ramp(0, MAX_POINTS + 1), range, 2, MAX_POINTS);
    expect(over.bucketMs).toBeGreaterThan(0);
    expect(over.t.length).toBeLessThanOrEqual(MAX_POINTS);
  });

  it('never sends more than maxPoints points, however the range and its buckets are aligned', async () => {
    for (const [from, n, step] of [
      [1, 86_400, 1000],
      [999, 10_007, 7],
      [123_456_789, 50_000, 13],
      [0, 3, 1],
    ] as const) {
      const range = { fromMs: from, toMs: from + n * step };
      const d = await downsample(ramp(from, n, step), range, 2, 100);
      expect(d.t.length).toBeLessThanOrEqual(100);
      expect(d.min[0]).toHaveLength(d.t.length);
    }
  });

  it('keeps the min and the max of each column per bucket, buckets aligned to their width', async () => {
    // 20 rows into at most 5 points: buckets of ceil(20 s / 4) = 5 s.
    const rows: Row[] = ramp(0, 20).map((r) => [r[0] as number, (r[1] as number) % 3, r[2] as number]);
    const d = await downsample(rows, { fromMs: 0, toMs: 20_000 }, 2, 5);
    expect(d.bucketMs).toBe(5000);
    expect(d.t).toEqual([0, 5000, 10_000, 15_000]);
    // column 0 is i % 3: 0 1 2 0 1 | 2 0 1 2 0 | 1 2 0 1 2 | 0 1 2 0 1
    expect(Array.from(d.min[0] as Float64Array)).toEqual([0, 0, 0, 0]);
    expect(Array.from(d.max[0] as Float64Array)).toEqual([2, 2, 2, 2]);
    // column 1 is -i
    expect(Array.from(d.min[1] as Float64Array)).toEqual([-4, -9, -14, -19]);
    expect(Array.from(d.max[1] as Float64Array)).toEqual([-0, -5, -10, -15]);
  });

  it('puts a row on a bucket edge into the bucket that starts there', async () => {
    const rows: Row[] = [
      [0, 1],
      [4999, 2],
      [5000, 30],
      [9999, 40],
      [10_000, 500],
      [14_999, 600],
    ];
    const d = await downsample(rows, { fromMs: 0, toMs: 20_000 }, 1, 5);
    expect(d.bucketMs).toBe(5000);
    expect(d.t).toEqual([0, 5000, 10_000]);
    expect(Array.from(d.min[0] as Float64Array)).toEqual([1, 30, 500]);
    expect(Array.from(d.max[0] as Float64Array)).toEqual([2, 40, 600]);
  });

  it('leaves out empty buckets: a gap in the data stays a gap', async () => {
    const rows = [...ramp(0, 10), ...ramp(60_000, 10)];
    const d = await downsample(rows, { fromMs: 0, toMs: 100_000 }, 2, 11);
    expect(d.bucketMs).toBe(10_000);
    expect(d.t).toEqual([0, 60_000]);
  });

  it('ignores rows outside the range', async () => {
    const rows = [...ramp(-5000, 5), ...ramp(0, 3), ...ramp(3000, 5)];
    const d = await downsample(rows, { fromMs: 0, toMs: 3000 }, 2, 10);
    expect(d.t).toEqual([0, 1000, 2000]);
  });

  it('sends no NaN for finite input, and a NaN only where a bucket had no value in a column', async () => {
    const finite = await downsample(ramp(0, 86_400), { fromMs: 0, toMs: 86_400_000 }, 2, MAX_POINTS);
    for (const column of [...finite.min, ...finite.max]) expect(allFinite(column)).toBe(true);
    expect(finite.t.every(Number.isFinite)).toBe(true);

    const gappy: Row[] = Array.from({ length: 40 }, (_, i) => [i * 1000, i < 20 ? Number.NaN : i]);
    const d = await downsample(gappy, { fromMs: 0, toMs: 40_000 }, 1, 5);
    expect(Array.from(d.max[0] as Float64Array).map((v) => (Number.isNaN(v) ? null : v))).toEqual([
      null,
      null,
      29,
      39,
    ]);
  });

  it('reads an async stream as well as an array', async () => {
    async function* stream() {
      yield* ramp(0, 3);
    }
    const d = await downsample(stream(), { fromMs: 0, toMs: 10_000 }, 2, 10);
    expect(d.t).toEqual([0, 1000, 2000]);
  });
});
