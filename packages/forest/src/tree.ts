/** A fitted decision tree as flat typed arrays, and the float32 walk from root to leaf. */

export interface DecisionTree {
  /** feature tested at each node, −1 at a leaf; nodes are numbered depth-first, left child first */
  readonly feature: Int32Array;
  /** a row goes left when its float32 value is ≤ the float32 threshold (BRANCH_LEQ in ONNX) */
  readonly threshold: Float32Array;
  /** left child; at a leaf, the leaf's index into `leafWeights` */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** per leaf, nClasses weights: the leaf's class fractions divided by the tree count (see leaf-weights.ts) */
  readonly leafWeights: Float32Array;
  readonly depth: number;
}

export function leafCount(tree: DecisionTree, nClasses: number): number {
  return tree.leafWeights.length / nClasses;
}

/** Index of the leaf a row reaches. `row` holds float32 values, as onnxruntime's input tensor does. */
export function leafIndex(tree: DecisionTree, row: Float32Array): number {
  const { feature, threshold, left, right } = tree;
  let node = 0;
  let f = feature[0]!;
  while (f >= 0) {
    node = row[f]! <= threshold[node]! ? left[node]! : right[node]!;
    f = feature[node]!;
  }
  return left[node]!;
}
