/**
 * Quantile binning of each feature into at most 256 bins, done once per training set, so split search
 * runs on byte-sized bin codes and small histograms instead of sorting float values at every node.
 */
import { assertFinite, type Matrix } from './matrix.ts';

export const MAX_BINS = 256;

export interface BinnedFeatures {
  readonly rows: number;
  readonly cols: number;
  /** bin code of row i for feature f at codes[f * rows + i]: one feature's codes are contiguous */
  readonly codes: Uint8Array;
  readonly binCount: Uint16Array;
  /** smallest float32 training value that fell in each bin of each feature */
  readonly lowest: readonly Float32Array[];
  /** largest float32 training value that fell in each bin of each feature */
  readonly highest: readonly Float32Array[];
}

/**
 * A feature with at most `maxBins` distinct values gets one bin per value, so splits are exactly the ones
 * scikit-learn would consider; otherwise bins hold about equal numbers of rows. Values are rounded to
 * float32 first, because float32 is what the trees compare at inference time.
 */
export function binFeatures(x: Matrix, maxBins = MAX_BINS): BinnedFeatures {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_BINS) {
    throw new RangeError(`maxBins must be an integer in 2..${MAX_BINS}, got ${maxBins}`);
  }
  assertFinite(x, 'binFeatures');
  const { rows, cols, data } = x;
  const codes = new Uint8Array(rows * cols);
  const binCount = new Uint16Array(cols);
  const lowest: Float32Array[] = [];
  const highest: Float32Array[] = [];
  // one sequential pass to a feature-major float32 copy: reading a column straight from the row-major
  // matrix would miss the cache on every value. Adding 0 turns −0 into +0: they compare equal, but their
  // bit patterns differ and the bin search works on bit patterns.
  const columns = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let f = 0; f < cols; f++) columns[f * rows + i] = data[i * cols + f]! + 0;
  const sorted = new Float32Array(rows);
  const scratch = new Uint32Array(rows);
  for (let f = 0; f < cols; f++) {
    const column = columns.subarray(f * rows, (f + 1) * rows);
    sorted.set(column);
    radixSortFloat32(sorted, scratch);
    const { lo, hi } = binEdges(sorted, maxBins);
    lowest.push(lo);
    highest.push(hi);
    binCount[f] = hi.length;
    assignBins(column, hi, codes.subarray(f * rows, (f + 1) * rows));
  }
  return { rows, cols, codes, binCount, lowest, highest };
}

/** Bin edges from sorted values: a bin closes once the rows seen reach its share of the quantiles. */
function binEdges(sorted: Float32Array, maxBins: number): { lo: Float32Array; hi: Float32Array } {
  const n = sorted.length;
  let distinct = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const lo: number[] = [];
  const hi: number[] = [];
  if (distinct <= maxBins) {
    for (let i = 0; i < n; i++) {
      if (i === 0 || sorted[i] !== sorted[i - 1]) {
        lo.push(sorted[i]!);
        hi.push(sorted[i]!);
      }
    }
  } else {
    const perBin = n / maxBins;
    let seen = 0;
    for (let i = 0; i < n; ) {
      const v = sorted[i]!;
      let j = i + 1;
      while (j < n && sorted[j] === v) j++;
      const open = lo.length > 0;
      if (!open || (seen >= lo.length * perBin && lo.length < maxBins)) {
        lo.push(v);
        hi.push(v);
      } else {
        hi[hi.length - 1] = v;
      }
      seen += j - i;
      i = j;
    }
  }
  return { lo: Float32Array.from(lo), hi: Float32Array.from(hi) };
}

/**
 * Ascending sort of finite float32 values in three counting passes of 11 bits over order-preserving integer
 * keys: several times faster than the comparison sort behind Float32Array.prototype.sort on 10⁵+ values.
 */
export function radixSortFloat32(values: Float32Array, scratch: Uint32Array): void {
  const n = values.length;
  const keys = new Uint32Array(values.buffer, values.byteOffset, n);
  // flip the sign bit of positives and all bits of negatives: unsigned order then equals float order
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    keys[i] = k & 0x80000000 ? ~k : k | 0x80000000;
  }
  const counts = new Uint32Array(2048);
  let from = keys;
  let to = scratch;
  for (let shift = 0; shift < 32; shift += 11) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(from[i]! >>> shift) & 2047]!++;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = from[i]!;
      to[counts[(k >>> shift) & 2047]!++] = k;
    }
    [from, to] = [to, from];
  }
  // three passes leave the result in `scratch`; undo the key transform on the way back
  for (let i = 0; i < n; i++) {
    const k = from[i]!;
    keys[i] = k & 0x80000000 ? k & 0x7fffffff : ~k;
  }
}

/** float32 bits → unsigned key with the same order as the float values */
function orderedKey(bits: number): number {
  return (bits & 0x80000000 ? ~bits : bits | 0x80000000) >>> 0;
}

/**
 * codes[i] = first bin whose highest value is ≥ column[i]. A table indexed by the top 16 bits of the
 * ordered key narrows each search to the few bins sharing that prefix: about 4× faster than a binary search
 * over all edges, which matters at 10⁷ values.
 */
function assignBins(column: Float32Array, highest: Float32Array, codes: Uint8Array): void {
  const last = highest.length - 1;
  const edgeKeys = Uint32Array.from(
    new Uint32Array(highest.buffer, highest.byteOffset, highest.length),
    orderedKey,
  );
  // firstBin[p]: first bin whose edge key is ≥ p·2¹⁶, i.e. could hold a value with prefix p
  const firstBin = new Uint16Array(65537);
  for (let p = 0, b = 0; p <= 65536; p++) {
    while (b < last && edgeKeys[b]! < p * 65536) b++;
    firstBin[p] = b;
  }
  const bits = new Uint32Array(column.buffer, column.byteOffset, column.length);
  for (let i = 0; i < bits.length; i++) {
    const key = orderedKey(bits[i]!);
    const p = key >>> 16;
    let a = firstBin[p]!;
    let z = firstBin[p + 1]!;
    while (a < z) {
      const m = (a + z) >>> 1;
      if (edgeKeys[m]! >= key) z = m;
      else a = m + 1;
    }
    codes[i] = a;
  }
}

/**
 * Float32 threshold between the largest value going left and the smallest going right, the midpoint as
 * scikit-learn uses. If the two are adjacent floats the midpoint rounds up onto `above`, which would send
 * `above` left too; the left value itself is then the threshold, so `x <= threshold` stays exact.
 */
export function splitThreshold(below: number, above: number): number {
  const mid = Math.fround(below / 2 + above / 2);
  return mid >= above ? Math.fround(below) : mid;
}
