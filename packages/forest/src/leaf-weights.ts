/**
 * How a leaf's class distribution becomes the weight it adds to the forest's probability, in one place,
 * because the in-memory forest and the ONNX export must add exactly the same numbers.
 */

/**
 * Weights are put on a grid of 2⁻²³: every multiple of it below 2 is a float32, so any sum of them (a class
 * probability never exceeds 1 + rounding) is exact in float32 and in float64, in any order. onnxruntime
 * sums trees in float32 and, with threads, in an order that depends on the batch, so without the grid its
 * sums could differ from ours in the last bit and flip a label on a tie. The grid moves a leaf's weight by
 * at most 2⁻²⁴ ≈ 6e-8, far below anything a probability is used for.
 */
export const WEIGHT_GRID = 2 ** 23;

/** A tree's contribution for one class: its leaf fraction divided by the tree count, on the exact grid. */
export function leafWeight(fraction: number, nTrees: number): number {
  return Math.round((fraction / nTrees) * WEIGHT_GRID) / WEIGHT_GRID;
}

/**
 * Turns summed leaf weights into probabilities. With two classes onnxruntime only reads the second class's
 * sum and reports [1 − p, p] with the label p > 0.5 (see `exportOnnx`), so the in-memory forest does too:
 * 1 − p is exact on the grid, and argmax with ties to the first class then matches p > 0.5 exactly.
 */
export function finishProbabilities(sums: Float64Array, offset: number, nClasses: number): void {
  if (nClasses === 2) sums[offset] = 1 - sums[offset + 1]!;
}

/** Index of the largest value, the first one on a tie, like numpy's argmax and onnxruntime's label. */
export function argmax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  for (let c = 1; c < length; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

/**
 * The grid a regressor's leaf values are put on, for the same reason as WEIGHT_GRID: onnxruntime adds the
 * trees' values in float32, in an order that depends on its threads. A leaf holds its mean divided by the
 * tree count, so any partial sum of one value per tree is at most max|y| (plus rounding) in magnitude; with
 * a grid of 2^(e − 23), where 2^e > max|y|, every such sum is a multiple of the grid below 2^(e + 1), hence
 * a float32, and exact in any order. A leaf moves by at most half the grid: about 2⁻²⁴ of max|y|.
 */
export function regressionLeafGrid(maxAbsTarget: number): number {
  if (!(maxAbsTarget > 0) || !Number.isFinite(maxAbsTarget)) return 1;
  return 2 ** (Math.floor(Math.log2(maxAbsTarget)) + 1 - 23);
}

/** A regression tree's contribution: its leaf's mean divided by the tree count, on the exact grid. */
export function regressionLeafValue(mean: number, nTrees: number, grid: number): number {
  return Math.round(mean / nTrees / grid) * grid;
}
