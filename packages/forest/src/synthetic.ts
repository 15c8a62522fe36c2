/** Synthetic data in the spirit of scikit-learn's make_classification and make_friedman1, for tests and benchmarks. */

import { Rng } from '@pdm/random';
import { type Matrix, matrix } from './matrix.ts';

export interface SyntheticOptions {
  readonly rows: number;
  readonly features: number;
  /** features that carry the class signal: Gaussian clusters around hypercube vertices */
  readonly informative?: number;
  /** random linear combinations of the informative features */
  readonly redundant?: number;
  readonly classes?: number;
  readonly clustersPerClass?: number;
  /** distance of cluster centres from the origin, per informative axis; larger is easier */
  readonly classSep?: number;
  /** share of labels replaced by a random class */
  readonly flipY?: number;
  readonly seed?: number;
}

export interface SyntheticData {
  readonly x: Matrix<Float64Array>;
  /** class codes 0..classes−1 */
  readonly y: Int32Array;
}

export function makeClassification(options: SyntheticOptions): SyntheticData {
  const {
    rows,
    features,
    informative = Math.min(features, 4),
    redundant = 0,
    classes = 2,
    clustersPerClass = 2,
    classSep = 1,
    flipY = 0.01,
    seed = 0,
  } = options;
  if (informative + redundant > features) throw new RangeError('informative + redundant exceeds features');
  const rng = new Rng(seed, 0x5eed);
  const clusters = classes * clustersPerClass;
  const centres = Array.from({ length: clusters }, () =>
    Array.from({ length: informative }, () => (rng.next() < 0.5 ? -classSep : classSep) * (0.5 + rng.next())),
  );
  const mixing = Array.from({ length: redundant }, () =>
    Array.from({ length: informative }, () => 2 * rng.next() - 1),
  );
  const data = new Float64Array(rows * features);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const cluster = rng.int(clusters);
    const base = i * features;
    const centre = centres[cluster]!;
    for (let j = 0; j < informative; j++) data[base + j] = centre[j]! + rng.normal();
    for (let r = 0; r < redundant; r++) {
      let v = 0;
      for (let j = 0; j < informative; j++) v += mixing[r]![j]! * data[base + j]!;
      data[base + informative + r] = v;
    }
    for (let j = informative + redundant; j < features; j++) data[base + j] = rng.normal();
    y[i] = rng.next() < flipY ? rng.int(classes) : cluster % classes;
  }
  return { x: matrix(data, features), y };
}

export interface SyntheticRegressionOptions {
  readonly rows: number;
  /** at least 5; features beyond the fifth are noise */
  readonly features: number;
  /** standard deviation of the Gaussian noise added to the target */
  readonly noise?: number;
  /** added to every target, to test large magnitudes (hours of RUL, say) */
  readonly offset?: number;
  readonly seed?: number;
}

export interface SyntheticRegression {
  readonly x: Matrix<Float64Array>;
  readonly y: Float64Array;
}

/**
 * scikit-learn's make_friedman1: features uniform on [0, 1), target
 * 10·sin(π·x0·x1) + 20·(x2 − 0.5)² + 10·x3 + 5·x4 + noise: non-linear, with an interaction, a curve and
 * noise features, so a forest has something to learn and something to ignore.
 */
export function makeRegression(options: SyntheticRegressionOptions): SyntheticRegression {
  const { rows, features, noise = 1, offset = 0, seed = 0 } = options;
  if (features < 5) throw new RangeError('makeRegression needs at least 5 features');
  const rng = new Rng(seed, 0xf41ed);
  const data = new Float64Array(rows * features);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = data.subarray(i * features, (i + 1) * features);
    for (let j = 0; j < features; j++) v[j] = rng.next();
    y[i] =
      offset +
      10 * Math.sin(Math.PI * v[0]! * v[1]!) +
      20 * (v[2]! - 0.5) ** 2 +
      10 * v[3]! +
      5 * v[4]! +
      noise * rng.normal();
  }
  return { x: matrix(data, features), y };
}
