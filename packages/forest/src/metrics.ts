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
