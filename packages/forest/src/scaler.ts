/** Standardisation like scikit-learn's StandardScaler, plus the float32 form the ONNX Scaler computes. */
import { assertFinite, type Matrix, matrix } from './matrix.ts';

export interface ScalerParams {
  readonly mean: readonly number[];
  /** population standard deviation per feature; 1 where the feature is constant, as sklearn's `scale_` */
  readonly scale: readonly number[];
}

export class StandardScaler {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** ONNX `Scaler` attributes, float32 like the operator stores them: y = (x − offset) · scale */
  readonly onnxOffset: Float32Array;
  readonly onnxScale: Float32Array;

  constructor(params: ScalerParams) {
    if (params.mean.length !== params.scale.length || params.mean.length === 0) {
      throw new RangeError('mean and scale must be non-empty and of equal length');
    }
    if (params.scale.some((s) => !(s > 0) || !Number.isFinite(s))) {
      throw new RangeError('every scale must be positive and finite');
    }
    this.mean = Float64Array.from(params.mean);
    this.scale = Float64Array.from(params.scale);
    this.onnxOffset = Float32Array.from(params.mean);
    this.onnxScale = Float32Array.from(params.scale, (s) => 1 / s);
  }

  /** Mean and population variance per column (two-pass, so large offsets do not eat the variance). */
  static fit(x: Matrix): StandardScaler {
    if (x.rows === 0) throw new RangeError('StandardScaler.fit needs at least one row');
    assertFinite(x, 'StandardScaler.fit');
    const { data, rows, cols } = x;
    const mean = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j]! += data[i * cols + j]!;
    for (let j = 0; j < cols; j++) mean[j]! /= rows;
    const sumSq = new Float64Array(cols);
    const sumDev = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const d = data[i * cols + j]! - mean[j]!;
        sumDev[j]! += d;
        sumSq[j]! += d * d;
      }
    }
    const scale = Array.from(mean, (m, j) => {
      // corrected two-pass formula: the second term removes the rounding error left in the mean
      const variance = Math.max(0, (sumSq[j]! - (sumDev[j]! * sumDev[j]!) / rows) / rows);
      return isConstantFeature(variance, m, rows) ? 1 : Math.sqrt(variance);
    });
    return new StandardScaler({ mean: Array.from(mean), scale });
  }

  get nFeatures(): number {
    return this.mean.length;
  }

  /** (x − mean) / scale in float64, as scikit-learn's `transform`. */
  transform(x: Matrix): Matrix<Float64Array> {
    this.#checkWidth(x);
    const { data, cols } = x;
    const out = new Float64Array(data.length);
    for (let k = 0; k < data.length; k++) {
      const j = k % cols;
      out[k] = (data[k]! - this.mean[j]!) / this.scale[j]!;
    }
    return matrix(out, cols);
  }

  /**
   * Exactly what onnxruntime's Scaler computes for a float32 input: ((float)x − offset) · scale, each step
   * rounded to float32. Trees are trained on these values, so their thresholds see the same numbers at
   * inference time and no `<=` comparison can flip.
   */
  transformFloat32(x: Matrix): Matrix<Float32Array> {
    this.#checkWidth(x);
    const out = new Float32Array(x.data.length);
    for (let i = 0; i < x.rows; i++) this.scaleRowFloat32(x, i, out, i * x.cols);
    return matrix(out, x.cols);
  }

  /** One row of `transformFloat32`, written into `out` at `offset` (no allocation, for prediction loops). */
  scaleRowFloat32(x: Matrix, row: number, out: Float32Array, offset = 0): void {
    const { data, cols } = x;
    const base = row * cols;
    for (let j = 0; j < cols; j++) {
      // a difference or product of two float32 values is rounded once in float64, then once to float32:
      // that double rounding is exact for + − ×, so this equals the float32 arithmetic in C++
      out[offset + j] = Math.fround(Math.fround(data[base + j]!) - this.onnxOffset[j]!) * this.onnxScale[j]!;
    }
  }

  toJSON(): ScalerParams {
    return { mean: Array.from(this.mean), scale: Array.from(this.scale) };
  }

  #checkWidth(x: Matrix): void {
    if (x.cols !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} columns, got ${x.cols}`);
  }
}

/**
 * scikit-learn's `_is_constant_feature`: a variance within float64 rounding noise of zero means the
 * feature is constant, and its scale becomes 1 instead of a tiny number that would blow values up.
 */
function isConstantFeature(variance: number, mean: number, rows: number): boolean {
  const eps = Number.EPSILON;
  const upperBound = rows * eps * variance + (rows * mean * eps) ** 2;
  return variance <= upperBound || Math.sqrt(variance) < 10 * eps;
}
