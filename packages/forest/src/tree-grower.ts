/**
 * Grows decision trees on binned features: bootstrap as integer sample weights, Gini impurity, best split
 * per node over a random subset of features, scikit-learn's stopping rules. The hot path of training: all
 * buffers belong to the grower and are reused from node to node and from tree to tree.
 */

import type { Rng } from '@pdm/random';
import { type BinnedFeatures, splitThreshold } from './binning.ts';
import { leafWeight } from './leaf-weights.ts';
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

export interface GrownTree {
  readonly tree: DecisionTree;
  /** impurity decrease per feature, weighted by node weight and divided by the root's weight */
  readonly importances: Float64Array;
}

/** scikit-learn's EPSILON: a node whose impurity is at most this is pure. */
const IMPURITY_EPSILON = Number.EPSILON;

/**
 * Sorting a node's codes costs about n·log n, a histogram about (bins in the node's range) × (classes + 1).
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
  readonly #labels: Uint8Array;
  readonly #nClasses: number;

  // per-row buffers; the node being split owns the range [start, end) of the three `sample*` arrays
  readonly #draws: Int32Array;
  readonly #sampleRow: Int32Array;
  readonly #sampleClass: Uint8Array;
  readonly #sampleWeight: Int32Array;
  readonly #spareRow: Int32Array;
  readonly #spareClass: Uint8Array;
  readonly #spareWeight: Int32Array;
  readonly #nodeCodes: Uint8Array;

  // split search
  readonly #histCount = new Int32Array(256);
  readonly #histClass: Int32Array;
  readonly #sortKeys: Int32Array;
  readonly #nodeClass: Int32Array;
  readonly #leftClass: Int32Array;
  readonly #bestLeftClass: Int32Array;
  readonly #featureOrder: Int32Array;
  #bestProxy = 0;
  #bestFeature = -1;
  #bestBin = 0;
  #bestNextBin = 0;
  /** total sample weight at the root: importances are divided by it, as scikit-learn does */
  #rootWeight = 0;

  // depth-first stack of nodes still to grow: [start, end, depth, parent, isLeft] and their class weights
  #stack = new Int32Array(5 * 64);
  #stackClass: Int32Array;

  // the tree being grown
  #feature = new Int32Array(1024);
  #threshold = new Float32Array(1024);
  #left = new Int32Array(1024);
  #right = new Int32Array(1024);
  #leafWeights: Float32Array;
  #importances: Float64Array;

  constructor(binned: BinnedFeatures, labels: Uint8Array, nClasses: number) {
    if (labels.length !== binned.rows) throw new RangeError('one label per row is needed');
    const { rows, cols } = binned;
    this.#rows = rows;
    this.#cols = cols;
    this.#codes = binned.codes;
    this.#binCount = binned.binCount;
    this.#lowest = binned.lowest;
    this.#highest = binned.highest;
    this.#labels = labels;
    this.#nClasses = nClasses;
    this.#draws = new Int32Array(rows);
    this.#sampleRow = new Int32Array(rows);
    this.#sampleClass = new Uint8Array(rows);
    this.#sampleWeight = new Int32Array(rows);
    this.#spareRow = new Int32Array(rows);
    this.#spareClass = new Uint8Array(rows);
    this.#spareWeight = new Int32Array(rows);
    this.#nodeCodes = new Uint8Array(rows);
    this.#histClass = new Int32Array(256 * nClasses);
    this.#sortKeys = new Int32Array(Math.min(rows, SORT_MAX_ROWS));
    this.#nodeClass = new Int32Array(nClasses);
    this.#leftClass = new Int32Array(nClasses);
    this.#bestLeftClass = new Int32Array(nClasses);
    this.#featureOrder = Int32Array.from({ length: cols }, (_, f) => f);
    this.#stackClass = new Int32Array(64 * nClasses);
    this.#leafWeights = new Float32Array(1024 * nClasses);
    this.#importances = new Float64Array(cols);
  }

  grow(rng: Rng, params: TreeParams): GrownTree {
    const C = this.#nClasses;
    const rootClass = this.#nodeClass;
    const samples = this.#drawSamples(rng, params.bootstrap, rootClass);
    this.#importances = new Float64Array(this.#cols);
    let nodes = 0;
    let leaves = 0;
    let maxDepth = 0;
    let top = 0;
    this.#push(top++, 0, samples, 0, -1, 1, rootClass);

    while (top > 0) {
      top--;
      const s = this.#stack;
      const start = s[5 * top]!;
      const end = s[5 * top + 1]!;
      const depth = s[5 * top + 2]!;
      const parent = s[5 * top + 3]!;
      const isLeft = s[5 * top + 4]!;
      const nodeClass = this.#nodeClass;
      nodeClass.set(this.#stackClass.subarray(top * C, top * C + C));

      const id = nodes++;
      this.#ensureNodeCapacity(nodes);
      if (parent >= 0) {
        if (isLeft === 1) this.#left[parent] = id;
        else this.#right[parent] = id;
      }
      if (depth > maxDepth) maxDepth = depth;

      let weight = 0;
      let sumSq = 0;
      for (let c = 0; c < C; c++) {
        const w = nodeClass[c]!;
        weight += w;
        sumSq += w * w;
      }
      const impurity = 1 - sumSq / (weight * weight);
      const count = end - start;
      const isLeaf =
        depth >= params.maxDepth ||
        count < params.minSamplesSplit ||
        count < 2 * params.minSamplesLeaf ||
        impurity <= IMPURITY_EPSILON ||
        !this.#findSplit(rng, start, end, weight, params);

      if (isLeaf) {
        this.#ensureLeafCapacity(leaves + 1);
        this.#feature[id] = -1;
        this.#threshold[id] = 0;
        this.#left[id] = leaves;
        this.#right[id] = leaves;
        for (let c = 0; c < C; c++) {
          this.#leafWeights[leaves * C + c] = leafWeight(nodeClass[c]! / weight, params.nTrees);
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
      // Σ_children (w − Σ_c w_c²/w) subtracted from the parent's: the proxy minus the parent's Σ w_c²/w
      this.#importances[f]! += this.#bestProxy - sumSq / weight;
      const mid = this.#partition(start, end, f, this.#bestBin);
      const leftClass = this.#bestLeftClass;
      for (let c = 0; c < C; c++) nodeClass[c] = nodeClass[c]! - leftClass[c]!;
      // right first, so the left child is popped next and numbered id + 1, as scikit-learn numbers nodes
      this.#push(top++, mid, end, depth + 1, id, 0, nodeClass);
      this.#push(top++, start, mid, depth + 1, id, 1, leftClass);
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
  #drawSamples(rng: Rng, bootstrap: boolean, rootClass: Int32Array): number {
    const n = this.#rows;
    const draws = this.#draws;
    if (bootstrap) {
      draws.fill(0);
      for (let k = 0; k < n; k++) draws[rng.int(n)]!++;
    } else {
      draws.fill(1);
    }
    rootClass.fill(0);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const w = draws[i]!;
      if (w === 0) continue;
      const c = this.#labels[i]!;
      this.#sampleRow[m] = i;
      this.#sampleClass[m] = c;
      this.#sampleWeight[m] = w;
      rootClass[c]! += w;
      m++;
    }
    this.#rootWeight = bootstrap ? n : m;
    return m;
  }

  /**
   * Best Gini split of the node over randomly drawn features, as scikit-learn's BestSplitter: draw features
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
    const histogramCost = (hi - lo + 1) * (this.#nClasses + 1);
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
    const C = this.#nClasses;
    const histCount = this.#histCount;
    const histClass = this.#histClass;
    const nodeCodes = this.#nodeCodes;
    const sampleClass = this.#sampleClass;
    const sampleWeight = this.#sampleWeight;
    histCount.fill(0, lo, hi + 1);
    histClass.fill(0, lo * C, (hi + 1) * C);
    for (let k = start; k < end; k++) {
      const b = nodeCodes[k]!;
      histCount[b]!++;
      histClass[b * C + sampleClass[k]!]! += sampleWeight[k]!;
    }
    const count = end - start;
    const left = this.#leftClass;
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
      for (let c = 0; c < C; c++) {
        const w = histClass[b * C + c]!;
        left[c]! += w;
        leftWeight += w;
      }
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
    const sampleClass = this.#sampleClass;
    const sampleWeight = this.#sampleWeight;
    const left = this.#leftClass;
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
      left[sampleClass[at]!]! += w;
      leftWeight += w;
    }
  }

  /** Scores the split "bin ≤ below" against the best so far, by scikit-learn's Gini proxy Σ w_c²/w. */
  #consider(f: number, below: number, above: number, leftWeight: number, weight: number): void {
    const C = this.#nClasses;
    const left = this.#leftClass;
    const node = this.#nodeClass;
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
      this.#bestLeftClass.set(left);
    }
  }

  /** Stable partition of [start, end) into bin ≤ `bin` then the rest; returns where the right part starts. */
  #partition(start: number, end: number, f: number, bin: number): number {
    const codes = this.#codes;
    const offset = f * this.#rows;
    const row = this.#sampleRow;
    const cls = this.#sampleClass;
    const wt = this.#sampleWeight;
    const spareRow = this.#spareRow;
    const spareClass = this.#spareClass;
    const spareWeight = this.#spareWeight;
    let l = start;
    let r = 0;
    for (let k = start; k < end; k++) {
      const i = row[k]!;
      if (codes[offset + i]! <= bin) {
        row[l] = i;
        cls[l] = cls[k]!;
        wt[l] = wt[k]!;
        l++;
      } else {
        spareRow[r] = i;
        spareClass[r] = cls[k]!;
        spareWeight[r] = wt[k]!;
        r++;
      }
    }
    row.set(spareRow.subarray(0, r), l);
    cls.set(spareClass.subarray(0, r), l);
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
    cls: Int32Array,
  ) {
    const C = this.#nClasses;
    if (5 * (slot + 1) > this.#stack.length) {
      this.#stack = enlarge(this.#stack, 2 * this.#stack.length);
      this.#stackClass = enlarge(this.#stackClass, 2 * this.#stackClass.length);
    }
    const s = this.#stack;
    s[5 * slot] = start;
    s[5 * slot + 1] = end;
    s[5 * slot + 2] = depth;
    s[5 * slot + 3] = parent;
    s[5 * slot + 4] = isLeft;
    this.#stackClass.set(cls, slot * C);
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
    if (leaves * this.#nClasses <= this.#leafWeights.length) return;
    this.#leafWeights = enlarge(this.#leafWeights, 2 * this.#leafWeights.length);
  }
}

function enlarge<T extends Int32Array | Float32Array>(a: T, size: number): T {
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
