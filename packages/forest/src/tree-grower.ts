/**
 * Grows decision trees on binned features: bootstrap as integer sample weights, best split per node over a
 * random subset of features, scikit-learn's stopping rules, for classification (Gini) and regression
 * (variance). The hot path of training: all buffers belong to the grower and are reused from node to node
 * and from tree to tree.
 *
 * One grower serves both criteria because they share their arithmetic. A node is summarised by its weight w
 * and "channel sums": per class the class's weight (Gini), or the single sum Σ w·y (variance). scikit-learn's
 * proxy for both is Σ_channels sum²/w over the two children, and the impurity decrease (for importances) is
 * that proxy minus the parent's Σ sum²/w; only the stopping test and the leaf value differ.
 */

import type { Rng } from '@pdm/random';
import { type BinnedFeatures, splitThreshold } from './binning.ts';
import { leafWeight, regressionLeafValue } from './leaf-weights.ts';
import type { DecisionTree } from './tree.ts';

export interface TreeParams {
  /** Infinity for no limit */
  readonly maxDepth: number;
  readonly minSamplesSplit: number;
  readonly minSamplesLeaf: number;
  /** features drawn per node (at least this many non-constant ones are tried when the node has them) */
  readonly maxFeatures: number;
  readonly bootstrap: boolean;
  /** forest size, which leaf weights are divided by */
  readonly nTrees: number;
}

/** What a tree learns to predict, and so how it measures a split. */
export type SplitCriterion =
  /** class codes 0..nClasses−1; Gini impurity; a leaf holds its class fractions */
  | { readonly kind: 'gini'; readonly labels: Uint8Array; readonly nClasses: number }
  /** numbers; variance (scikit-learn's squared_error); a leaf holds its weighted mean (see leaf-weights.ts) */
  | { readonly kind: 'mse'; readonly targets: Float64Array; readonly leafGrid: number };

export interface GrownTree {
  readonly tree: DecisionTree;
  /** impurity decrease per feature, weighted by node weight and divided by the root's weight */
  readonly importances: Float64Array;
}

/** scikit-learn's EPSILON: a node whose impurity is at most this is pure. */
const IMPURITY_EPSILON = Number.EPSILON;

/**
 * Sorting a node's codes costs about n·log n, a histogram about (bins in the node's range) × (channels + 1).
 * Small nodes, the vast majority in a fully grown tree, are cheaper sorted; this factor picks the cheaper.
 */
const SORT_COST_FACTOR = 3;

/** Sort keys keep a node position in 23 bits; the cost rule never picks sorting for nodes near this size. */
const SORT_MAX_ROWS = 65_536;

export class TreeGrower {
  readonly #rows: number;
  readonly #cols: number;
  readonly #codes: Uint8Array;
  readonly #binCount: Uint16Array;
  readonly #lowest: readonly Float32Array[];
  readonly #highest: readonly Float32Array[];
  /** true for Gini (classes), false for variance (numbers) */
  readonly #gini: boolean;
  /** Gini: the class codes; empty for variance */
  readonly #labels: Uint8Array;
  /** variance: the targets; empty for Gini */
  readonly #targets: Float64Array;
  /** variance: the grid leaf values are rounded to */
  readonly #leafGrid: number;
  /** channel sums per node: one per class (Gini), one (variance) */
  readonly #channels: number;

  // per-row buffers; the node being split owns the range [start, end) of the `sample*` arrays, of which
  // sampleClass serves Gini and sampleTarget variance (the other is empty)
  readonly #draws: Int32Array;
  readonly #sampleRow: Int32Array;
  readonly #sampleClass: Uint8Array;
  readonly #sampleTarget: Float64Array;
  readonly #sampleWeight: Int32Array;
  readonly #spareRow: Int32Array;
  readonly #spareClass: Uint8Array;
  readonly #spareTarget: Float64Array;
  readonly #spareWeight: Int32Array;
  readonly #nodeCodes: Uint8Array;

  // split search: sums are float64 for both criteria (whole-number weights stay exact for Gini)
  readonly #histCount = new Int32Array(256);
  readonly #histWeight = new Float64Array(256);
  readonly #histSum: Float64Array;
  readonly #sortKeys: Int32Array;
  readonly #nodeSum: Float64Array;
  readonly #leftSum: Float64Array;
  readonly #bestLeftSum: Float64Array;
  readonly #featureOrder: Int32Array;
  #bestProxy = 0;
  #bestFeature = -1;
  #bestBin = 0;
  #bestNextBin = 0;
  #bestLeftWeight = 0;
  /** total sample weight at the root: importances are divided by it, as scikit-learn does */
  #rootWeight = 0;

  // depth-first stack of nodes still to grow: [start, end, depth, parent, isLeft], and their weight followed
  // by their channel sums
  #stack = new Int32Array(5 * 64);
  #stackStats: Float64Array;

  // the tree being grown
  #feature = new Int32Array(1024);
  #threshold = new Float32Array(1024);
  #left = new Int32Array(1024);
  #right = new Int32Array(1024);
  /** per leaf, one value per channel */
  #leafWeights: Float32Array;
  #importances: Float64Array;

  constructor(binned: BinnedFeatures, criterion: SplitCriterion) {
    const { rows, cols } = binned;
    const gini = criterion.kind === 'gini';
    const perRow = gini ? criterion.labels.length : criterion.targets.length;
    if (perRow !== rows) throw new RangeError(`one ${gini ? 'label' : 'target'} per row is needed`);
    const C = gini ? criterion.nClasses : 1;
    this.#rows = rows;
    this.#cols = cols;
    this.#codes = binned.codes;
    this.#binCount = binned.binCount;
    this.#lowest = binned.lowest;
    this.#highest = binned.highest;
    this.#gini = gini;
    this.#labels = gini ? criterion.labels : new Uint8Array(0);
    this.#targets = gini ? new Float64Array(0) : criterion.targets;
    this.#leafGrid = gini ? 0 : criterion.leafGrid;
    this.#channels = C;
    this.#draws = new Int32Array(rows);
    this.#sampleRow = new Int32Array(rows);
    this.#sampleClass = new Uint8Array(gini ? rows : 0);
    this.#sampleTarget = new Float64Array(gini ? 0 : rows);
    this.#sampleWeight = new Int32Array(rows);
    this.#spareRow = new Int32Array(rows);
    this.#spareClass = new Uint8Array(gini ? rows : 0);
    this.#spareTarget = new Float64Array(gini ? 0 : rows);
    this.#spareWeight = new Int32Array(rows);
    this.#nodeCodes = new Uint8Array(rows);
    this.#histSum = new Float64Array(256 * C);
    this.#sortKeys = new Int32Array(Math.min(rows, SORT_MAX_ROWS));
    this.#nodeSum = new Float64Array(C);
    this.#leftSum = new Float64Array(C);
    this.#bestLeftSum = new Float64Array(C);
    this.#featureOrder = Int32Array.from({ length: cols }, (_, f) => f);
    this.#stackStats = new Float64Array(64 * (C + 1));
    this.#leafWeights = new Float32Array(1024 * C);
    this.#importances = new Float64Array(cols);
  }

  grow(rng: Rng, params: TreeParams): GrownTree {
    const C = this.#channels;
    const nodeSum = this.#nodeSum;
    const samples = this.#drawSamples(rng, params.bootstrap, nodeSum);
    this.#importances = new Float64Array(this.#cols);
    let nodes = 0;
    let leaves = 0;
    let maxDepth = 0;
    let top = 0;
    this.#push(top++, 0, samples, 0, -1, 1, this.#rootWeight, nodeSum);

    while (top > 0) {
      top--;
      const s = this.#stack;
      const start = s[5 * top]!;
      const end = s[5 * top + 1]!;
      const depth = s[5 * top + 2]!;
      const parent = s[5 * top + 3]!;
      const isLeft = s[5 * top + 4]!;
      const stats = top * (C + 1);
      const weight = this.#stackStats[stats]!;
      nodeSum.set(this.#stackStats.subarray(stats + 1, stats + 1 + C));

      const id = nodes++;
      this.#ensureNodeCapacity(nodes);
      if (parent >= 0) {
        if (isLeft === 1) this.#left[parent] = id;
        else this.#right[parent] = id;
      }
      if (depth > maxDepth) maxDepth = depth;

      let sumSq = 0;
      for (let c = 0; c < C; c++) sumSq += nodeSum[c]! * nodeSum[c]!;
      const count = end - start;
      const isLeaf =
        depth >= params.maxDepth ||
        count < params.minSamplesSplit ||
        count < 2 * params.minSamplesLeaf ||
        this.#isPure(start, end, weight, sumSq) ||
        !this.#findSplit(rng, start, end, weight, params);

      if (isLeaf) {
        this.#ensureLeafCapacity(leaves + 1);
        this.#feature[id] = -1;
        this.#threshold[id] = 0;
        this.#left[id] = leaves;
        this.#right[id] = leaves;
        if (this.#gini) {
          for (let c = 0; c < C; c++) {
            this.#leafWeights[leaves * C + c] = leafWeight(nodeSum[c]! / weight, params.nTrees);
          }
        } else {
          this.#leafWeights[leaves] = regressionLeafValue(
            nodeSum[0]! / weight,
            params.nTrees,
            this.#leafGrid,
          );
        }
        leaves++;
        continue;
      }

      const f = this.#bestFeature;
      this.#feature[id] = f;
      this.#threshold[id] = splitThreshold(
        this.#highest[f]![this.#bestBin]!,
        this.#lowest[f]![this.#bestNextBin]!,
      );
      // the children's weighted impurities subtracted from the parent's: the proxy minus the parent's Σ sum²/w
      // (Gini: w − Σ_c w_c²/w per node; variance: Σ w·y² − (Σ w·y)²/w, whose first terms cancel)
      this.#importances[f]! += this.#bestProxy - sumSq / weight;
      const mid = this.#partition(start, end, f, this.#bestBin);
      const leftSum = this.#bestLeftSum;
      const leftWeight = this.#bestLeftWeight;
      for (let c = 0; c < C; c++) nodeSum[c] = nodeSum[c]! - leftSum[c]!;
      // right first, so the left child is popped next and numbered id + 1, as scikit-learn numbers nodes
      this.#push(top++, mid, end, depth + 1, id, 0, weight - leftWeight, nodeSum);
      this.#push(top++, start, mid, depth + 1, id, 1, leftWeight, leftSum);
    }

    const rootWeight = this.#rootWeight;
    for (let f = 0; f < this.#cols; f++) this.#importances[f]! /= rootWeight;
    return {
      tree: {
        feature: this.#feature.slice(0, nodes),
        threshold: this.#threshold.slice(0, nodes),
        left: this.#left.slice(0, nodes),
        right: this.#right.slice(0, nodes),
        leafWeights: this.#leafWeights.slice(0, leaves * C),
        depth: maxDepth,
      },
      importances: this.#importances,
    };
  }

  /**
   * Bootstrap like scikit-learn: n draws with replacement become integer weights, and each drawn row is
   * kept once. Rows stay in ascending order, which keeps reads of the feature-major codes local.
   */
  #drawSamples(rng: Rng, bootstrap: boolean, rootSum: Float64Array): number {
    const n = this.#rows;
    const draws = this.#draws;
    if (bootstrap) {
      draws.fill(0);
      for (let k = 0; k < n; k++) draws[rng.int(n)]!++;
    } else {
      draws.fill(1);
    }
    rootSum.fill(0);
    const gini = this.#gini;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const w = draws[i]!;
      if (w === 0) continue;
      this.#sampleRow[m] = i;
      this.#sampleWeight[m] = w;
      if (gini) {
        const c = this.#labels[i]!;
        this.#sampleClass[m] = c;
        rootSum[c]! += w;
      } else {
        const y = this.#targets[i]!;
        this.#sampleTarget[m] = y;
        rootSum[0]! += w * y;
      }
      m++;
    }
    this.#rootWeight = bootstrap ? n : m;
    return m;
  }

  /**
   * scikit-learn's test: a node whose impurity is at most EPSILON is not split. Gini's impurity is
   * 1 − Σ w_c²/w². The variance is taken in two passes around the mean, and a node whose targets are all
   * equal is pure outright: the one-pass Σ w·y²/w − mean² that scikit-learn uses leaves rounding noise above
   * EPSILON for large constant targets (hours of RUL), which would split nodes that have nothing to split.
   */
  #isPure(start: number, end: number, weight: number, sumSq: number): boolean {
    if (this.#gini) return 1 - sumSq / (weight * weight) <= IMPURITY_EPSILON;
    const target = this.#sampleTarget;
    const sampleWeight = this.#sampleWeight;
    const mean = this.#nodeSum[0]! / weight;
    const first = target[start]!;
    let varied = false;
    let squares = 0;
    for (let k = start; k < end; k++) {
      const y = target[k]!;
      if (y !== first) varied = true;
      const d = y - mean;
      squares += sampleWeight[k]! * d * d;
    }
    return !varied || squares / weight <= IMPURITY_EPSILON;
  }

  /**
   * Best split of the node over randomly drawn features, as scikit-learn's BestSplitter: draw features
   * without replacement until `maxFeatures` non-constant ones were tried (constant ones do not count).
   * Leaves the winner in #best*; false when no feature can split the node.
   */
  #findSplit(rng: Rng, start: number, end: number, weight: number, params: TreeParams): boolean {
    const order = this.#featureOrder;
    const F = this.#cols;
    this.#bestProxy = -Infinity;
    this.#bestFeature = -1;
    let tried = 0;
    for (let k = 0; k < F && tried < params.maxFeatures; k++) {
      const pick = k + rng.int(F - k);
      const f = order[pick]!;
      order[pick] = order[k]!;
      order[k] = f;
      if (this.#scanFeature(f, start, end, weight, params.minSamplesLeaf)) tried++;
    }
    return this.#bestFeature >= 0;
  }

  /** Tries every boundary between the node's occupied bins of feature f; false if f is constant here. */
  #scanFeature(f: number, start: number, end: number, weight: number, minLeaf: number): boolean {
    const codes = this.#codes;
    const nodeCodes = this.#nodeCodes;
    const rows = this.#sampleRow;
    const offset = f * this.#rows;
    let lo = 255;
    let hi = 0;
    for (let k = start; k < end; k++) {
      const b = codes[offset + rows[k]!]!;
      nodeCodes[k] = b;
      if (b < lo) lo = b;
      if (b > hi) hi = b;
    }
    if (lo === hi) return false;
    const count = end - start;
    const histogramCost = (hi - lo + 1) * (this.#channels + 1);
    if (count <= SORT_MAX_ROWS && histogramCost > SORT_COST_FACTOR * count * Math.log2(count)) {
      this.#scanSorted(f, start, end, weight, minLeaf);
    } else {
      this.#scanHistogram(f, start, end, lo, hi, weight, minLeaf);
    }
    return true;
  }

  #scanHistogram(
    f: number,
    start: number,
    end: number,
    lo: number,
    hi: number,
    weight: number,
    minLeaf: number,
  ) {
    const C = this.#channels;
    const histCount = this.#histCount;
    const histWeight = this.#histWeight;
    const histSum = this.#histSum;
    const nodeCodes = this.#nodeCodes;
    const sampleWeight = this.#sampleWeight;
    histCount.fill(0, lo, hi + 1);
    histWeight.fill(0, lo, hi + 1);
    histSum.fill(0, lo * C, (hi + 1) * C);
    if (this.#gini) {
      const sampleClass = this.#sampleClass;
      for (let k = start; k < end; k++) {
        const b = nodeCodes[k]!;
        const w = sampleWeight[k]!;
        histCount[b]!++;
        histWeight[b]! += w;
        histSum[b * C + sampleClass[k]!]! += w;
      }
    } else {
      const sampleTarget = this.#sampleTarget;
      for (let k = start; k < end; k++) {
        const b = nodeCodes[k]!;
        const w = sampleWeight[k]!;
        histCount[b]!++;
        histWeight[b]! += w;
        histSum[b]! += w * sampleTarget[k]!;
      }
    }
    const count = end - start;
    const left = this.#leftSum;
    left.fill(0);
    let leftCount = 0;
    let leftWeight = 0;
    let prev = -1;
    for (let b = lo; b <= hi; b++) {
      const n = histCount[b]!;
      if (n === 0) continue;
      if (prev >= 0) {
        if (count - leftCount < minLeaf) break;
        if (leftCount >= minLeaf) this.#consider(f, prev, b, leftWeight, weight);
      }
      leftCount += n;
      leftWeight += histWeight[b]!;
      for (let c = 0; c < C; c++) left[c]! += histSum[b * C + c]!;
      prev = b;
    }
  }

  #scanSorted(f: number, start: number, end: number, weight: number, minLeaf: number) {
    const count = end - start;
    const keys = this.#sortKeys;
    const nodeCodes = this.#nodeCodes;
    // code in the high bits, position in the low bits: sorting the keys sorts positions by code
    for (let k = 0; k < count; k++) keys[k] = (nodeCodes[start + k]! << 23) | k;
    sortPrefix(keys, count);
    const gini = this.#gini;
    const sampleClass = this.#sampleClass;
    const sampleTarget = this.#sampleTarget;
    const sampleWeight = this.#sampleWeight;
    const left = this.#leftSum;
    left.fill(0);
    let leftWeight = 0;
    let prev = keys[0]! >>> 23;
    for (let k = 0; k < count; k++) {
      const key = keys[k]!;
      const b = key >>> 23;
      if (b !== prev) {
        if (count - k < minLeaf) break;
        if (k >= minLeaf) this.#consider(f, prev, b, leftWeight, weight);
        prev = b;
      }
      const at = start + (key & 0x7fffff);
      const w = sampleWeight[at]!;
      if (gini) left[sampleClass[at]!]! += w;
      else left[0]! += w * sampleTarget[at]!;
      leftWeight += w;
    }
  }

  /**
   * Scores the split "bin ≤ below" against the best so far, by scikit-learn's proxy Σ_channels sum²/w over
   * both children: Σ_c w_c²/w for Gini, (Σ w·y)²/w for variance.
   */
  #consider(f: number, below: number, above: number, leftWeight: number, weight: number): void {
    const C = this.#channels;
    const left = this.#leftSum;
    const node = this.#nodeSum;
    let leftSq = 0;
    let rightSq = 0;
    for (let c = 0; c < C; c++) {
      const l = left[c]!;
      const r = node[c]! - l;
      leftSq += l * l;
      rightSq += r * r;
    }
    const proxy = leftSq / leftWeight + rightSq / (weight - leftWeight);
    if (proxy > this.#bestProxy) {
      this.#bestProxy = proxy;
      this.#bestFeature = f;
      this.#bestBin = below;
      this.#bestNextBin = above;
      this.#bestLeftWeight = leftWeight;
      this.#bestLeftSum.set(left);
    }
  }

  /** Stable partition of [start, end) into bin ≤ `bin` then the rest; returns where the right part starts. */
  #partition(start: number, end: number, f: number, bin: number): number {
    const codes = this.#codes;
    const offset = f * this.#rows;
    const row = this.#sampleRow;
    const wt = this.#sampleWeight;
    const spareRow = this.#spareRow;
    const spareWeight = this.#spareWeight;
    // the label travels with its row: sampleClass for Gini, sampleTarget for variance
    const [value, spareValue] = this.#gini
      ? [this.#sampleClass, this.#spareClass]
      : [this.#sampleTarget, this.#spareTarget];
    let l = start;
    let r = 0;
    for (let k = start; k < end; k++) {
      const i = row[k]!;
      if (codes[offset + i]! <= bin) {
        row[l] = i;
        value[l] = value[k]!;
        wt[l] = wt[k]!;
        l++;
      } else {
        spareRow[r] = i;
        spareValue[r] = value[k]!;
        spareWeight[r] = wt[k]!;
        r++;
      }
    }
    row.set(spareRow.subarray(0, r), l);
    value.set(spareValue.subarray(0, r), l);
    wt.set(spareWeight.subarray(0, r), l);
    return l;
  }

  #push(
    slot: number,
    start: number,
    end: number,
    depth: number,
    parent: number,
    isLeft: number,
    weight: number,
    sums: Float64Array,
  ) {
    const C = this.#channels;
    if (5 * (slot + 1) > this.#stack.length) {
      this.#stack = enlarge(this.#stack, 2 * this.#stack.length);
      this.#stackStats = enlarge(this.#stackStats, 2 * this.#stackStats.length);
    }
    const s = this.#stack;
    s[5 * slot] = start;
    s[5 * slot + 1] = end;
    s[5 * slot + 2] = depth;
    s[5 * slot + 3] = parent;
    s[5 * slot + 4] = isLeft;
    this.#stackStats[slot * (C + 1)] = weight;
    this.#stackStats.set(sums, slot * (C + 1) + 1);
  }

  #ensureNodeCapacity(nodes: number): void {
    if (nodes <= this.#feature.length) return;
    const size = 2 * this.#feature.length;
    this.#feature = enlarge(this.#feature, size);
    this.#threshold = enlarge(this.#threshold, size);
    this.#left = enlarge(this.#left, size);
    this.#right = enlarge(this.#right, size);
  }

  #ensureLeafCapacity(leaves: number): void {
    if (leaves * this.#channels <= this.#leafWeights.length) return;
    this.#leafWeights = enlarge(this.#leafWeights, 2 * this.#leafWeights.length);
  }
}

function enlarge<T extends Int32Array | Float32Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** Sorts keys[0, n) in place without allocating: insertion sort when short, heap sort otherwise. */
function sortPrefix(keys: Int32Array, n: number): void {
  if (n <= 24) {
    for (let i = 1; i < n; i++) {
      const v = keys[i]!;
      let j = i - 1;
      while (j >= 0 && keys[j]! > v) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = v;
    }
    return;
  }
  for (let i = (n >>> 1) - 1; i >= 0; i--) siftDown(keys, i, n);
  for (let end = n - 1; end > 0; end--) {
    const t = keys[0]!;
    keys[0] = keys[end]!;
    keys[end] = t;
    siftDown(keys, 0, end);
  }
}

function siftDown(keys: Int32Array, root: number, n: number): void {
  const v = keys[root]!;
  let i = root;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && keys[child + 1]! > keys[child]!) child++;
    if (keys[child]! <= v) break;
    keys[i] = keys[child]!;
    i = child;
  }
  keys[i] = v;
}
