import { Rng } from '@pdm/random';
import { describe, expect, it } from 'vitest';
import { matrix, matrixFromRows } from './matrix.ts';
import { StandardScaler } from './scaler.ts';

describe('StandardScaler', () => {
  it('learns the mean and the population standard deviation, as scikit-learn does', () => {
    const scaler = StandardScaler.fit(
      matrixFromRows([
        [1, 10],
        [2, 10],
        [3, 40],
        [4, 20],
      ]),
    );
    expect(Array.from(scaler.mean)).toEqual([2.5, 20]);
    expect(scaler.scale[0]).toBeCloseTo(Math.sqrt(1.25), 14);
    expect(scaler.scale[1]).toBeCloseTo(Math.sqrt(150), 12);
  });

  it('keeps a large offset from eating the variance', () => {
    const scaler = StandardScaler.fit(matrixFromRows([[1e9 + 1], [1e9 + 2], [1e9 + 3]]));
    expect(scaler.scale[0]).toBeCloseTo(Math.sqrt(2 / 3), 9);
  });

  it('gives a constant feature a scale of 1, so it becomes zeros instead of NaN', () => {
    const x = matrixFromRows([
      [5, 1],
      [5, 2],
      [5, 3],
    ]);
    const scaler = StandardScaler.fit(x);
    expect(scaler.scale[0]).toBe(1);
    expect(Array.from(scaler.transform(x).data.filter((_, k) => k % 2 === 0))).toEqual([0, 0, 0]);
  });

  it('treats a feature as constant when its variance is only rounding noise', () => {
    const scaler = StandardScaler.fit(matrixFromRows([[0.1 + 0.2], [0.3], [0.3]]));
    expect(scaler.scale[0]).toBe(1);
  });

  it('transforms to (x − mean) / std in float64', () => {
    const x = matrixFromRows([
      [1, 10],
      [2, 10],
      [3, 40],
      [4, 20],
    ]);
    const scaled = StandardScaler.fit(x).transform(x);
    expect(scaled.data[0]).toBeCloseTo(-1.5 / Math.sqrt(1.25), 14);
    expect(scaled.data[5]).toBeCloseTo(20 / Math.sqrt(150), 14);
  });

  it('computes the float32 transform step by step in float32, as onnxruntime does', () => {
    const rng = new Rng(4);
    const data = Float64Array.from({ length: 400 }, () => 1000 * rng.normal() + 37);
    const x = matrix(data, 4);
    const scaler = StandardScaler.fit(x);
    const f32 = scaler.transformFloat32(x);
    let differsFromFloat64 = 0;
    const exact = scaler.transform(x);
    for (let k = 0; k < data.length; k++) {
      const j = k % 4;
      const diff = new Float32Array([data[k]!, 0]);
      diff[1] = diff[0]! - scaler.onnxOffset[j]!;
      const expected = Math.fround(diff[1]! * scaler.onnxScale[j]!);
      expect(f32.data[k]).toBe(expected);
      if (f32.data[k] !== Math.fround(exact.data[k]!)) differsFromFloat64++;
    }
    // the float32 pipeline is a different function from rounding the float64 result: the reason trees are
    // trained on transformFloat32 and not on transform
    expect(differsFromFloat64).toBeGreaterThan(0);
  });

  it('refuses a non-positive scale and non-finite input', () => {
    expect(() => new StandardScaler({ mean: [0], scale: [0] })).toThrow(RangeError);
    expect(() => StandardScaler.fit(matrixFromRows([[1], [Number.NaN]]))).toThrow(/row 1/);
  });

  it('refuses a matrix of the wrong width', () => {
    const scaler = StandardScaler.fit(
      matrixFromRows([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(() => scaler.transform(matrixFromRows([[1, 2, 3]]))).toThrow(/expected 2 columns/);
  });
});
