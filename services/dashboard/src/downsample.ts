/**
 * Downsampling on the server, so that no series sends more than MAX_POINTS points: rows stream through
 * once into typed arrays. While a range holds at most maxPoints rows they are sent as they are (bucketMs
 * 0); from the row after that on, they fold into at most maxPoints equal buckets, aligned to multiples of
 * the bucket width so that a refreshed chart keeps its buckets, and each column keeps its min and max per
 * bucket. Empty buckets are left out. NaN is "no value": it never becomes a min or a max.
 */

export interface Downsampled {
  /** 0 when the rows are sent as they are */
  readonly bucketMs: number;
  /** bucket start (or the row's time), ascending */
  readonly t: number[];
  /** per column, one value per point; NaN where a bucket had no value in that column */
  readonly min: Float64Array[];
  readonly max: Float64Array[];
}

/** A row: device time at 0, then `columns` values. */
export type Row = ArrayLike<number>;

/**
 * Folds `items` (rows, or anything `toRow` turns into one; its row may be reused from item to item) into
 * at most maxPoints points. A source that can also be read synchronously is: awaiting each of 86,400 rows
 * costs more than folding them.
 */
export async function downsample<T = Row>(
  items: AsyncIterable<T> | Iterable<T>,
  range: { readonly fromMs: number; readonly toMs: number },
  columns: number,
  maxPoints: number,
  toRow: (item: T) => Row = (item) => item as Row,
): Promise<Downsampled> {
  const folder = new Folder(range.fromMs, range.toMs, columns, maxPoints);
  if (Symbol.iterator in items) for (const item of items) folder.add(toRow(item));
  else for await (const item of items) folder.add(toRow(item));
  return folder.result();
}

class Folder {
  readonly #fromMs: number;
  readonly #toMs: number;
  readonly #columns: number;
  readonly #maxPoints: number;
  // Raw phase: the first maxPoints rows as they came.
  readonly #rawT: Float64Array;
  readonly #rawValues: Float64Array;
  #rows = 0;
  // Bucket phase, from the row after maxPoints on.
  #bucketMs = 0;
  #firstBucket = 0;
  #filled: Uint8Array | undefined;
  #min: Float64Array | undefined;
  #max: Float64Array | undefined;

  constructor(fromMs: number, toMs: number, columns: number, maxPoints: number) {
    this.#fromMs = fromMs;
    this.#toMs = toMs;
    this.#columns = columns;
    this.#maxPoints = maxPoints;
    this.#rawT = new Float64Array(maxPoints);
    this.#rawValues = new Float64Array(maxPoints * columns);
  }

  add(row: Row): void {
    const ts = row[0] as number;
    if (!(ts >= this.#fromMs && ts < this.#toMs)) return;
    if (this.#rows < this.#maxPoints) {
      this.#rawT[this.#rows] = ts;
      const at = this.#rows * this.#columns;
      for (let c = 0; c < this.#columns; c++) this.#rawValues[at + c] = row[c + 1] as number;
    } else {
      if (this.#rows === this.#maxPoints) this.#startBuckets();
      this.#fold(ts, row, 1);
    }
    this.#rows += 1;
  }

  result(): Downsampled {
    return this.#rows <= this.#maxPoints ? this.#rawResult() : this.#bucketResult();
  }

  #startBuckets(): void {
    const span = this.#toMs - this.#fromMs;
    // Aligned buckets of width b over [from, to) number at most ceil(span / b) + 1, so b is chosen for
    // maxPoints − 1 of them.
    this.#bucketMs = Math.max(1, Math.ceil(span / Math.max(1, this.#maxPoints - 1)));
    this.#firstBucket = Math.floor(this.#fromMs / this.#bucketMs);
    const cells = this.#maxPoints * this.#columns;
    this.#filled = new Uint8Array(this.#maxPoints);
    this.#min = new Float64Array(cells).fill(Number.NaN);
    this.#max = new Float64Array(cells).fill(Number.NaN);
    for (let r = 0; r < this.#maxPoints; r++) {
      this.#fold(this.#rawT[r] as number, this.#rawValues, r * this.#columns);
    }
  }

  /** Folds the values at `values[offset …]` of a row at `ts` into its bucket. */
  #fold(ts: number, values: Row, offset: number): void {
    const bucket = Math.floor(ts / this.#bucketMs) - this.#firstBucket;
    const min = this.#min as Float64Array;
    const max = this.#max as Float64Array;
    (this.#filled as Uint8Array)[bucket] = 1;
    const at = bucket * this.#columns;
    for (let c = 0; c < this.#columns; c++) {
      const v = values[offset + c] as number;
      if (Number.isNaN(v)) continue;
      // A cell starts as NaN, which fails every comparison: it takes the first value as it is.
      const lo = min[at + c] as number;
      if (v < lo || Number.isNaN(lo)) min[at + c] = v;
      const hi = max[at + c] as number;
      if (v > hi || Number.isNaN(hi)) max[at + c] = v;
    }
  }

  #rawResult(): Downsampled {
    const n = this.#rows;
    const t = Array.from(this.#rawT.subarray(0, n));
    const columns: Float64Array[] = [];
    for (let c = 0; c < this.#columns; c++) {
      const column = new Float64Array(n);
      for (let r = 0; r < n; r++) column[r] = this.#rawValues[r * this.#columns + c] as number;
      columns.push(column);
    }
    return { bucketMs: 0, t, min: columns, max: columns };
  }

  #bucketResult(): Downsampled {
    const filled = this.#filled as Uint8Array;
    const t: number[] = [];
    for (let b = 0; b < filled.length; b++) if (filled[b]) t.push((this.#firstBucket + b) * this.#bucketMs);
    const min: Float64Array[] = [];
    const max: Float64Array[] = [];
    for (let c = 0; c < this.#columns; c++) {
      const lo = new Float64Array(t.length);
      const hi = new Float64Array(t.length);
      let i = 0;
      for (let b = 0; b < filled.length; b++) {
        if (!filled[b]) continue;
        lo[i] = (this.#min as Float64Array)[b * this.#columns + c] as number;
        hi[i] = (this.#max as Float64Array)[b * this.#columns + c] as number;
        i += 1;
      }
      min.push(lo);
      max.push(hi);
    }
    return { bucketMs: this.#bucketMs, t, min, max };
  }
}
