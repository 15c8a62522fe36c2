/**
 * Random forests with scikit-learn's semantics: a classifier (bagged Gini trees, mean of the leaves' class
 * distributions) and a regressor (bagged variance-reduction trees, mean of the leaves' means), grown by one
 * tree grower.
 */

import { Rng } from '@pdm/random';
import { binFeatures, MAX_BINS } from './binning.ts';
import { argmax, finishProbabilities, regressionLeafGrid } from './leaf-weights.ts';
import type { Matrix } from './matrix.ts';
import { type DecisionTree, leafIndex } from './tree.ts';
import { type SplitCriterion, TreeGrower } from './tree-grower.ts';

/**
 * Features tried per split. A number ≥ 1 is a count (an integer, like an int in scikit-learn); a number in
 * (0, 1) is a fraction of the features, at least one. 'all' is scikit-learn's None or 1.0.
 */
export type MaxFeatures = 'sqrt' | 'log2' | 'all' | number;

export interface ForestParams {
  readonly nTrees: number;
  /** null grows until leaves are pure or too small to split */
  readonly maxDepth: number | null;
  readonly minSamplesSplit: number;
  readonly minSamplesLeaf: number;
  readonly maxFeatures: MaxFeatures;
  readonly bootstrap: boolean;
  readonly seed: number;
  /** quantile bins per feature for split search, at most 256 */
  readonly maxBins: number;
}

export const DEFAULT_FOREST_PARAMS: ForestParams = Object.freeze({
  nTrees: 100,
  maxDepth: null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 'sqrt',
  bootstrap: true,
  seed: 0,
  maxBins: MAX_BINS,
});

export interface ForestOptions extends Partial<ForestParams> {
  /** called after each tree, e.g. for a progress bar */
  readonly onTreeGrown?: ((treesDone: number, nTrees: number) => void) | undefined;
}

export interface ForestParts {
  readonly trees: readonly DecisionTree[];
  readonly nClasses: number;
  readonly nFeatures: number;
  readonly params: ForestParams;
  readonly featureImportances: Float64Array;
}

export class RandomForestClassifier {
  readonly trees: readonly DecisionTree[];
  readonly nClasses: number;
  readonly nFeatures: number;
  readonly params: ForestParams;
  /** mean decrease in impurity per feature, summing to 1 (all zeros if no tree ever split) */
  readonly featureImportances: Float64Array;

  constructor(parts: ForestParts) {
    this.trees = parts.trees;
    this.nClasses = parts.nClasses;
    this.nFeatures = parts.nFeatures;
    this.params = parts.params;
    this.featureImportances = parts.featureImportances;
  }

  /**
   * Fits on class codes 0..nClasses−1. Values are rounded to float32 before anything else, because the
   * trees compare float32 values at inference time (onnxruntime's input is float32).
   */
  static fit(
    x: Matrix,
    y: ArrayLike<number>,
    nClasses: number,
    options: ForestOptions = {},
  ): RandomForestClassifier {
    const params = paramsOf(options);
    if (!Number.isInteger(nClasses) || nClasses < 2 || nClasses > 256) {
      throw new RangeError(`nClasses must be an integer in 2..256, got ${nClasses}`);
    }
    if (y.length !== x.rows) throw new RangeError(`${x.rows} rows but ${y.length} labels`);
    if (x.rows === 0) throw new RangeError('cannot fit a forest on zero rows');
    const labels = new Uint8Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      const c = y[i]!;
      if (!Number.isInteger(c) || c < 0 || c >= nClasses) throw new RangeError(`label ${c} at row ${i}`);
      labels[i] = c;
    }
    const criterion = { kind: 'gini', labels, nClasses } as const;
    const { trees, featureImportances } = growForest(x, criterion, params, options.onTreeGrown);
    return new RandomForestClassifier({ trees, nClasses, nFeatures: x.cols, params, featureImportances });
  }

  /** rows × nClasses, row-major: the mean over trees of each reached leaf's class fractions. */
  predictProba(x: Matrix): Float64Array {
    this.#checkWidth(x);
    const C = this.nClasses;
    const out = new Float64Array(x.rows * C);
    const row = new Float32Array(x.cols);
    for (let i = 0; i < x.rows; i++) {
      row.set(x.data.subarray(i * x.cols, (i + 1) * x.cols));
      this.probabilitiesOfRow(row, out, i * C);
    }
    return out;
  }

  /** Class code per row: the most probable class, the lowest code on a tie. */
  predict(x: Matrix): Int32Array {
    const proba = this.predictProba(x);
    const out = new Int32Array(x.rows);
    for (let i = 0; i < x.rows; i++) out[i] = argmax(proba, i * this.nClasses, this.nClasses);
    return out;
  }

  /** Class probabilities of one float32 row, written to out[offset .. offset + nClasses). */
  probabilitiesOfRow(row: Float32Array, out: Float64Array, offset: number): void {
    const C = this.nClasses;
    out.fill(0, offset, offset + C);
    for (const tree of this.trees) {
      const base = leafIndex(tree, row) * C;
      const weights = tree.leafWeights;
      for (let c = 0; c < C; c++) out[offset + c]! += weights[base + c]!;
    }
    finishProbabilities(out, offset, C);
  }

  #checkWidth(x: Matrix): void {
    if (x.cols !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} columns, got ${x.cols}`);
  }
}

export interface RegressorParts {
  readonly trees: readonly DecisionTree[];
  readonly nFeatures: number;
  readonly params: ForestParams;
  readonly featureImportances: Float64Array;
}

/**
 * Random forest regressor: each tree's leaf holds the (bootstrap-weighted) mean of its training targets,
 * and the forest predicts the mean over trees. Leaves store mean / nTrees on an exact float32 grid
 * (regressionLeafGrid), so the forest's prediction is a plain sum that onnxruntime reproduces bit for bit.
 */
export class RandomForestRegressor {
  readonly trees: readonly DecisionTree[];
  readonly nFeatures: number;
  readonly params: ForestParams;
  /** mean decrease in variance per feature, summing to 1 (all zeros if no tree ever split) */
  readonly featureImportances: Float64Array;

  constructor(parts: RegressorParts) {
    this.trees = parts.trees;
    this.nFeatures = parts.nFeatures;
    this.params = parts.params;
    this.featureImportances = parts.featureImportances;
  }

  /** Fits on finite targets. Values are rounded to float32 first, as for the classifier. */
  static fit(x: Matrix, y: ArrayLike<number>, options: ForestOptions = {}): RandomForestRegressor {
    const params = paramsOf(options);
    if (y.length !== x.rows) throw new RangeError(`${x.rows} rows but ${y.length} targets`);
    if (x.rows === 0) throw new RangeError('cannot fit a forest on zero rows');
    const targets = Float64Array.from(y);
    let maxAbs = 0;
    for (let i = 0; i < targets.length; i++) {
      const v = targets[i]!;
      if (!Number.isFinite(v)) throw new RangeError(`target ${v} at row ${i}`);
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    const criterion = { kind: 'mse', targets, leafGrid: regressionLeafGrid(maxAbs) } as const;
    const { trees, featureImportances } = growForest(x, criterion, params, options.onTreeGrown);
    return new RandomForestRegressor({ trees, nFeatures: x.cols, params, featureImportances });
  }

  /** One value per row: the mean over trees of each reached leaf's mean (exactly a float32). */
  predict(x: Matrix): Float64Array {
    if (x.cols !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} columns, got ${x.cols}`);
    const out = new Float64Array(x.rows);
    const row = new Float32Array(x.cols);
    for (let i = 0; i < x.rows; i++) {
      row.set(x.data.subarray(i * x.cols, (i + 1) * x.cols));
      out[i] = this.valueOfRow(row);
    }
    return out;
  }

  /** The prediction for one float32 row. The sum is exact in any order (see regressionLeafGrid). */
  valueOfRow(row: Float32Array): number {
    let sum = 0;
    for (const tree of this.trees) sum += tree.leafWeights[leafIndex(tree, row)]!;
    return sum;
  }
}

/**
 * Grows the trees of a forest on one binned copy of x, and scikit-learn's feature importances: each tree's
 * normalised impurity decreases, averaged over the trees that split at all.
 */
function growForest(
  x: Matrix,
  criterion: SplitCriterion,
  params: ForestParams,
  onTreeGrown: ForestOptions['onTreeGrown'],
): { trees: DecisionTree[]; featureImportances: Float64Array } {
  const binned = binFeatures(x, params.maxBins);
  const grower = new TreeGrower(binned, criterion);
  const treeParams = {
    maxDepth: params.maxDepth ?? Number.POSITIVE_INFINITY,
    minSamplesSplit: params.minSamplesSplit,
    minSamplesLeaf: params.minSamplesLeaf,
    maxFeatures: featuresPerSplit(params.maxFeatures, x.cols),
    bootstrap: params.bootstrap,
    nTrees: params.nTrees,
  };
  const trees: DecisionTree[] = [];
  const importanceSum = new Float64Array(x.cols);
  let splitTrees = 0;
  for (let t = 0; t < params.nTrees; t++) {
    const { tree, importances } = grower.grow(new Rng(params.seed, t), treeParams);
    trees.push(tree);
    if (tree.feature.length > 1) {
      splitTrees++;
      const total = importances.reduce((a, b) => a + b, 0);
      if (total > 0) for (let f = 0; f < x.cols; f++) importanceSum[f]! += importances[f]! / total;
    }
    onTreeGrown?.(t + 1, params.nTrees);
  }
  const total = importanceSum.reduce((a, b) => a + b, 0);
  const featureImportances = importanceSum.map((v) => (splitTrees > 0 && total > 0 ? v / total : 0));
  return { trees, featureImportances };
}

/** scikit-learn's rule for turning max_features into a count. */
export function featuresPerSplit(maxFeatures: MaxFeatures, nFeatures: number): number {
  if (maxFeatures === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(nFeatures)));
  if (maxFeatures === 'log2') return Math.max(1, Math.floor(Math.log2(nFeatures)));
  if (maxFeatures === 'all') return nFeatures;
  if (maxFeatures > 0 && maxFeatures < 1) return Math.max(1, Math.floor(maxFeatures * nFeatures));
  if (Number.isInteger(maxFeatures) && maxFeatures >= 1 && maxFeatures <= nFeatures) return maxFeatures;
  throw new RangeError(`maxFeatures ${maxFeatures} is not valid for ${nFeatures} features`);
}

function paramsOf(options: ForestOptions): ForestParams {
  const { onTreeGrown: _, ...given } = options;
  return resolveParams({ ...DEFAULT_FOREST_PARAMS, ...dropUndefined(given) });
}

function resolveParams(p: ForestParams): ForestParams {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('nTrees', p.nTrees);
  positiveInt('minSamplesLeaf', p.minSamplesLeaf);
  positiveInt('maxBins', p.maxBins);
  if (p.maxDepth !== null) positiveInt('maxDepth', p.maxDepth);
  if (!Number.isInteger(p.minSamplesSplit) || p.minSamplesSplit < 2) {
    throw new RangeError(`minSamplesSplit must be an integer ≥ 2, got ${p.minSamplesSplit}`);
  }
  if (!Number.isInteger(p.seed)) throw new RangeError(`seed must be an integer, got ${p.seed}`);
  return Object.freeze({ ...p });
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
