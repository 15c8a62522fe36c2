/** Row-major matrices on typed arrays: the one shape every function in this package takes. */

export type FloatArray = Float32Array | Float64Array;

export interface Matrix<T extends FloatArray = FloatArray> {
  /** row-major: element (i, j) is data[i * cols + j] */
  readonly data: T;
  readonly rows: number;
  readonly cols: number;
}

export function matrix<T extends FloatArray>(data: T, cols: number): Matrix<T> {
  if (!Number.isInteger(cols) || cols < 1)
    throw new RangeError(`cols must be a positive integer, got ${cols}`);
  if (data.length % cols !== 0) {
    throw new RangeError(`data length ${data.length} is not a multiple of cols ${cols}`);
  }
  return { data, rows: data.length / cols, cols };
}

export function matrixFromRows(rows: readonly (readonly number[])[]): Matrix<Float64Array> {
  const cols = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * cols);
  for (const [i, row] of rows.entries()) {
    if (row.length !== cols) throw new RangeError(`row ${i} has ${row.length} values, expected ${cols}`);
    data.set(row, i * cols);
  }
  return matrix(data, cols);
}

/** Copies the given rows, in the given order, into a new matrix of the same element type. */
export function selectRows<T extends FloatArray>(m: Matrix<T>, indices: ArrayLike<number>): Matrix<T> {
  const data = (
    m.data instanceof Float32Array
      ? new Float32Array(indices.length * m.cols)
      : new Float64Array(indices.length * m.cols)
  ) as T;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    if (!(i >= 0 && i < m.rows)) throw new RangeError(`row index ${i} is outside 0..${m.rows - 1}`);
    data.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), k * m.cols);
  }
  return { data, rows: indices.length, cols: m.cols };
}

/** Trees and scalers have no sensible answer for NaN or ±Infinity, so they refuse them up front. */
export function assertFinite(m: Matrix, what: string): void {
  const { data, cols } = m;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k] as number)) {
      throw new RangeError(`${what}: row ${Math.floor(k / cols)}, column ${k % cols} is ${data[k]}`);
    }
  }
}
