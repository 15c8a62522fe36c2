/** Train/test splitting and the scores a training run reports. */
import { Rng } from '@pdm/random';

export interface Split {
  /** ascending row indices */
  readonly train: Int32Array;
  readonly test: Int32Array;
}

export interface SplitOptions {
  /** share of rows held out, rounded per class when stratified */
  readonly testFraction?: number;
  readonly seed?: number;
  /** labels to stratify on, so every class keeps its share in both parts */
  readonly stratify?: ArrayLike<string | number>;
}

export function trainTestSplit(rows: number, options: SplitOptions = {}): Split {
  const { testFraction = 0.25, seed = 0, stratify } = options;
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError('testFraction must be in (0, 1)');
  if (stratify && stratify.length !== rows)
    throw new RangeError('one stratification label per row is needed');
  const groups = new Map<string | number, number[]>();
  for (let i = 0; i < rows; i++) {
    const key = stratify ? stratify[i]! : 0;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  const rng = new Rng(seed, 0x5b1e);
  const isTest = new Uint8Array(rows);
  for (const group of groups.values()) {
    for (let k = group.length - 1; k > 0; k--) {
      const j = rng.int(k + 1);
      [group[k], group[j]] = [group[j]!, group[k]!];
    }
    const nTest = Math.round(group.length * testFraction);
    for (let k = 0; k < nTest; k++) isTest[group[k]!] = 1;
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < rows; i++) (isTest[i] ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

export function accuracy<T>(truth: ArrayLike<T>, predicted: ArrayLike<T>): number {
  if (truth.length !== predicted.length) throw new RangeError('truth and predictions differ in length');
  if (truth.length === 0) return Number.NaN;
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) hits++;
  return hits / truth.length;
}

export interface ClassScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

export interface ClassificationReport {
  readonly accuracy: number;
  /** unweighted mean of the per-class F1 scores: a rare failure mode counts as much as the healthy state */
  readonly macroF1: number;
  readonly perClass: Readonly<Record<string, ClassScores>>;
}

export function classificationReport(
  truth: readonly string[],
  predicted: readonly string[],
  classes: readonly string[],
): ClassificationReport {
  const perClass: Record<string, ClassScores> = {};
  let f1Sum = 0;
  for (const label of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i] === label;
      const p = predicted[i] === label;
      if (t && p) tp++;
      else if (p) fp++;
      else if (t) fn++;
    }
    const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[label] = { precision, recall, f1, support: tp + fn };
    f1Sum += f1;
  }
  return { accuracy: accuracy(truth, predicted), macroF1: f1Sum / classes.length, perClass };
}

export interface RegressionScores {
  /** root mean squared error, in the target's unit */
  readonly rmse: number;
  /** mean absolute error, in the target's unit */
  readonly mae: number;
  /** coefficient of determination: 1 − SSE / SST, as scikit-learn's r2_score (NaN for a constant truth) */
  readonly r2: number;
  /** mean of predicted − truth: positive means the model overestimates */
  readonly bias: number;
  readonly count: number;
}

export function regressionScores(truth: ArrayLike<number>, predicted: ArrayLike<number>): RegressionScores {
  if (truth.length !== predicted.length) throw new RangeError('truth and predictions differ in length');
  const n = truth.length;
  if (n === 0) return { rmse: Number.NaN, mae: Number.NaN, r2: Number.NaN, bias: Number.NaN, count: 0 };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += truth[i]!;
  mean /= n;
  let sse = 0;
  let sst = 0;
  let abs = 0;
  let bias = 0;
  for (let i = 0; i < n; i++) {
    const d = predicted[i]! - truth[i]!;
    sse += d * d;
    abs += Math.abs(d);
    bias += d;
    sst += (truth[i]! - mean) ** 2;
  }
  return {
    rmse: Math.sqrt(sse / n),
    mae: abs / n,
    r2: sst > 0 ? 1 - sse / sst : Number.NaN,
    bias: bias / n,
    count: n,
  };
}

/**
 * The asymmetric score of the PHM08 / C-MAPSS challenge (Saxena et al., 2008), summed over rows: with
 * d = predicted − true, exp(−d/13) − 1 when the prediction is early (d < 0) and exp(d/10) − 1 when late.
 * A late estimate of remaining life lets a machine break, so it costs more. Lower is better; 0 is perfect.
 * The constants assume the target's unit (cycles in the challenge, hours here).
 */
export function asymmetricRulScore(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (truth.length !== predicted.length) throw new RangeError('truth and predictions differ in length');
  let score = 0;
  for (let i = 0; i < truth.length; i++) {
    const d = predicted[i]! - truth[i]!;
    score += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
  }
  return score;
}

export interface BandScores extends RegressionScores {
  /** e.g. '< 10 %', '10–50 %', '≥ 50 %' of the max */
  readonly band: string;
  /** the band of the true target, as fractions of the max: [from, to); to is null for the open top band */
  readonly from: number;
  readonly to: number | null;
}

/**
 * Errors by band of the true target, as fractions of `max` (e.g. label_max): near the end of life
 * (< 10 %) is where a RUL model earns its keep, and where a good overall RMSE can hide a poor fit.
 */
export function errorByBand(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  max: number,
  edges: readonly number[] = [0.1, 0.5],
): BandScores[] {
  if (truth.length !== predicted.length) throw new RangeError('truth and predictions differ in length');
  const bounds = [Number.NEGATIVE_INFINITY, ...edges, Number.POSITIVE_INFINITY];
  const bands: BandScores[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    const from = bounds[b]!;
    const to = bounds[b + 1]!;
    const t: number[] = [];
    const p: number[] = [];
    for (let i = 0; i < truth.length; i++) {
      const share = truth[i]! / max;
      if (share >= from && share < to) {
        t.push(truth[i]!);
        p.push(predicted[i]!);
      }
    }
    const pct = (v: number) => `${+(v * 100).toFixed(2)}`;
    const band =
      b === 0 ? `< ${pct(to)} %` : b === bounds.length - 2 ? `≥ ${pct(from)} %` : `${pct(from)}–${pct(to)} %`;
    bands.push({
      band,
      ...regressionScores(t, p),
      from: Math.max(0, from),
      to: Number.isFinite(to) ? to : null,
    });
  }
  return bands;
}
