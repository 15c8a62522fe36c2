import { Rng } from '@pdm/random';
import { describe, expect, it } from 'vitest';
import { binFeatures, radixSortFloat32, splitThreshold } from './binning.ts';
import { matrix } from './matrix.ts';

describe('binFeatures', () => {
  it('gives each distinct value its own bin when a feature has at most 256 of them', () => {
    const values = [3, 1, 2, 2, 3, 7, 1, -0, 0];
    const b = binFeatures(matrix(Float64Array.from(values), 1));
    expect(Array.from(b.highest[0]!)).toEqual([0, 1, 2, 3, 7]);
    expect(Array.from(b.lowest[0]!)).toEqual(Array.from(b.highest[0]!));
    expect(Array.from(b.codes)).toEqual([3, 1, 2, 2, 3, 4, 1, 0, 0]);
  });

  it('puts about the same number of rows in each bin of a continuous feature', () => {
    const rng = new Rng(1);
    const n = 25_600;
    const b = binFeatures(
      matrix(
        Float64Array.from({ length: n }, () => rng.normal() * 1e3),
        1,
      ),
    );
    expect(b.binCount[0]).toBe(256);
    const counts = new Array(256).fill(0);
    for (const code of b.codes) counts[code]++;
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(95);
    expect(Math.max(...counts)).toBeLessThanOrEqual(105);
  });

  it('assigns every value the first bin whose highest value is at least that value', () => {
    const rng = new Rng(2);
    const n = 20_000;
    // ties, negatives, both zeros and a heavy cluster of nearly equal values
    const data = Float64Array.from({ length: n }, (_, i) =>
      i % 5 === 0 ? Math.round(rng.normal() * 3) : i % 7 === 0 ? 1 + rng.next() * 1e-6 : rng.normal() * 50,
    );
    data[3] = -0;
    const b = binFeatures(matrix(data, 1), 64);
    const hi = b.highest[0]!;
    const lo = b.lowest[0]!;
    const misplaced: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = Math.fround(data[i]!);
      const code = b.codes[i]!;
      if (v > hi[code]! || v < lo[code]! || (code > 0 && v <= hi[code - 1]!)) misplaced.push(i);
    }
    expect(misplaced).toEqual([]);
  });

  it('stores features contiguously, one after the other', () => {
    const b = binFeatures(matrix(Float64Array.from([1, 10, 2, 20, 3, 30]), 2));
    expect(Array.from(b.codes)).toEqual([0, 1, 2, 0, 1, 2]);
  });
});

describe('radixSortFloat32', () => {
  it('sorts like a numeric comparison sort, negatives and zeros included', () => {
    const rng = new Rng(3);
    const values = Float32Array.from({ length: 5000 }, (_, i) =>
      i % 11 === 0 ? 0 : rng.normal() * 10 ** rng.int(6),
    );
    values[1] = -0;
    values[2] = -3.4e38;
    values[3] = 3.4e38;
    // −0 and +0 are equal to the comparison sort, so which comes first is not part of the contract
    const plain = (v: number) => v + 0;
    const expected = Array.from(values)
      .sort((a, b) => a - b)
      .map(plain);
    radixSortFloat32(values, new Uint32Array(values.length));
    expect(Array.from(values, plain)).toEqual(expected);
  });
});

describe('splitThreshold', () => {
  it('is the float32 midpoint between the values either side', () => {
    expect(splitThreshold(1, 2)).toBe(1.5);
    expect(splitThreshold(-1, 0)).toBe(-0.5);
  });

  it('is the lower value when the two are adjacent floats, so the upper one still goes right', () => {
    const below = Math.fround(1);
    const above = Math.fround(1 + 2 ** -23);
    const t = splitThreshold(below, above);
    expect(below <= t).toBe(true);
    expect(above <= t).toBe(false);
  });
});
