/**
 * Loads the columns a training run needs from a CSV into typed arrays: features as a row-major float64
 * matrix grown by doubling, group as integer codes into its distinct values, and the label as codes (a
 * class) or as float64 numbers (a regression target).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Matrix, matrix } from '@pdm/forest';
import { CsvReader, CsvSyntaxError, parseDecimal } from './csv.ts';
import { TrainerError } from './errors.ts';

export interface TableColumns {
  /** numeric columns, in the order the model will take them */
  readonly features: readonly string[];
  readonly label: string;
  /** 'class' (default): the label is a string, coded; 'number': a finite decimal, e.g. rul_h */
  readonly labelType?: 'class' | 'number';
  /** the column that identifies a pump; null makes every row its own group */
  readonly group: string | null;
}

/** Distinct string values as codes: value i of the column is names[codes[i]], names in order of first appearance. */
export interface Coded {
  readonly codes: Int32Array;
  readonly names: readonly string[];
}

export interface TrainingTable {
  readonly x: Matrix<Float64Array>;
  /** a numeric label reads as one class named after its column, so a split balances only row counts */
  readonly labels: Coded;
  /** the numeric label per row; null for a class label */
  readonly targets: Float64Array | null;
  /** null when every row is its own group (--group none): codes are then row numbers */
  readonly groups: Coded | null;
  readonly header: readonly string[];
  /** SHA-256 of the file's bytes, to tie a model to the exact file it was trained on */
  readonly fileSha256: string;
  readonly fileBytes: number;
}

export interface ReadOptions {
  /** called after each chunk read */
  readonly onProgress?: ((bytesRead: number, totalBytes: number) => void) | undefined;
}

const CHUNK_BYTES = 1 << 20;
const INITIAL_ROWS = 1024;

export async function readTrainingTable(
  path: string,
  columns: TableColumns,
  options: ReadOptions = {},
): Promise<TrainingTable> {
  const file = basename(path);
  const size = await fileSize(path);
  const hash = createHash('sha256');
  const loader = new TableLoader(file, columns);
  const reader = new CsvReader(loader);
  let bytesRead = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      reader.push(bytes);
      bytesRead += bytes.length;
      options.onProgress?.(bytesRead, size);
    }
    reader.end();
  } catch (err) {
    if (err instanceof CsvSyntaxError)
      throw new TrainerError('bad-csv', `${file} ${err.message}`, { cause: err });
    if (err instanceof TrainerError) throw err;
    throw new TrainerError('missing-file', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return { ...loader.finish(), fileSha256: hash.digest('hex'), fileBytes: bytesRead };
}

async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TrainerError('missing-file', `${path} is not a file`);
    return info.size;
  } catch (err) {
    if (err instanceof TrainerError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new TrainerError('missing-file', `cannot read --data ${path}: ${reason}`, { cause: err });
  }
}

const SKIP = -1;

/** What each CSV column is for: a feature index 0..F−1, LABEL, GROUP or SKIP. */
type Roles = Int32Array;

class TableLoader {
  readonly #file: string;
  readonly #columns: TableColumns;
  readonly #nFeatures: number;
  readonly #labelRole: number;
  readonly #numericLabel: boolean;
  #header: string[] | undefined;
  #roles: Roles = new Int32Array(0);
  #rows = 0;
  #capacity = INITIAL_ROWS;
  #data: Float64Array;
  #labelCodes = new Int32Array(INITIAL_ROWS);
  #targets = new Float64Array(0);
  #groupCodes = new Int32Array(INITIAL_ROWS);
  readonly #labelIndex = new Map<string, number>();
  readonly #groupIndex = new Map<string, number>();
  readonly #headerFields: string[] = [];

  constructor(file: string, columns: TableColumns) {
    this.#file = file;
    this.#columns = columns;
    this.#nFeatures = columns.features.length;
    this.#labelRole = this.#nFeatures;
    this.#numericLabel = columns.labelType === 'number';
    if (this.#numericLabel) this.#targets = new Float64Array(INITIAL_ROWS);
    this.#data = new Float64Array(INITIAL_ROWS * this.#nFeatures);
  }

  field(col: number, bytes: Buffer, start: number, end: number, line: number): void {
    if (this.#header === undefined) {
      this.#headerFields[col] = bytes.toString('utf8', start, end).trim();
      return;
    }
    const role = col < this.#roles.length ? this.#roles[col]! : SKIP;
    if (role === SKIP) return;
    if (role < this.#nFeatures) {
      const value = parseDecimal(bytes, start, end);
      if (Number.isNaN(value)) this.#notNumeric(col, bytes, start, end, line);
      this.#data[this.#rows * this.#nFeatures + role] = value;
    } else if (role === this.#labelRole && this.#numericLabel) {
      const value = parseDecimal(bytes, start, end);
      if (Number.isNaN(value)) this.#notNumeric(col, bytes, start, end, line, 'the target');
      this.#targets[this.#rows] = value;
    } else if (role === this.#labelRole) {
      const text = bytes.toString('utf8', start, end);
      if (text.trim() === '') {
        throw new TrainerError(
          'bad-csv',
          `${this.#file} line ${line}: label column ${this.#columns.label} is empty. ` +
            'Every row needs its class: fill it in, or drop the row',
        );
      }
      this.#labelCodes[this.#rows] = intern(this.#labelIndex, text);
    } else {
      const text = bytes.toString('utf8', start, end);
      // rows without a pump would otherwise all become one pump, "", and the split would treat them as one
      if (text.trim() === '') {
        throw new TrainerError(
          'bad-csv',
          `${this.#file} line ${line}: group column ${this.#columns.group} is empty. Every row needs the pump ` +
            'it came from, so that the held-out split can keep each pump whole: fill it in, drop the row, ' +
            'or split rows one by one with --group none',
        );
      }
      this.#groupCodes[this.#rows] = intern(this.#groupIndex, text);
    }
  }

  endRecord(fields: number, line: number): void {
    if (this.#header === undefined) {
      this.#header = this.#headerFields.slice(0, fields);
      this.#roles = this.#resolveColumns(this.#header);
      return;
    }
    if (fields !== this.#header.length) {
      throw new TrainerError(
        'bad-csv',
        `${this.#file} line ${line} has ${fields} fields, the header has ${this.#header.length}`,
      );
    }
    this.#rows++;
    if (this.#rows === this.#capacity) this.#grow();
  }

  finish(): Omit<TrainingTable, 'fileSha256' | 'fileBytes'> {
    if (this.#header === undefined) throw new TrainerError('empty-data', `${this.#file} is empty`);
    if (this.#rows === 0) {
      throw new TrainerError('empty-data', `${this.#file} has a header but no rows`);
    }
    const rows = this.#rows;
    const F = this.#nFeatures;
    // keep the doubled buffer when little of it is spare, rather than holding two copies at once
    const spare = this.#capacity - rows;
    const trim = <T extends Float64Array | Int32Array>(a: T, width: number): T =>
      (spare * 4 < this.#capacity ? a.subarray(0, rows * width) : a.slice(0, rows * width)) as T;
    return {
      x: matrix(trim(this.#data, F), F),
      labels: this.#numericLabel
        ? { codes: new Int32Array(rows), names: [this.#columns.label] }
        : { codes: trim(this.#labelCodes, 1), names: [...this.#labelIndex.keys()] },
      targets: this.#numericLabel ? trim(this.#targets, 1) : null,
      groups:
        this.#columns.group === null
          ? null
          : { codes: trim(this.#groupCodes, 1), names: [...this.#groupIndex.keys()] },
      header: this.#header,
    };
  }

  #grow(): void {
    this.#capacity *= 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, width: number): T => {
      const bigger = (
        a instanceof Float64Array
          ? new Float64Array(this.#capacity * width)
          : new Int32Array(this.#capacity * width)
      ) as T;
      bigger.set(a);
      return bigger;
    };
    this.#data = grow(this.#data, this.#nFeatures);
    if (this.#numericLabel) this.#targets = grow(this.#targets, 1);
    else this.#labelCodes = grow(this.#labelCodes, 1);
    if (this.#columns.group !== null) this.#groupCodes = grow(this.#groupCodes, 1);
  }

  #resolveColumns(header: readonly string[]): Roles {
    const { features, label, group } = this.#columns;
    const wanted = [...features, label, ...(group === null ? [] : [group])];
    const missing = wanted.filter((name) => !header.includes(name));
    if (missing.length > 0) {
      const hint =
        group !== null && missing.includes(group)
          ? `. Name the column that identifies each pump with --group, or split rows one by one with --group none`
          : '';
      throw new TrainerError('unknown-column', missingColumnsMessage(missing, header, this.#file) + hint);
    }
    const roles = new Int32Array(header.length).fill(SKIP);
    for (const [role, name] of wanted.entries()) {
      const first = header.indexOf(name);
      if (header.indexOf(name, first + 1) !== -1) {
        throw new TrainerError(
          'bad-csv',
          `column ${name} appears more than once in the header of ${this.#file}`,
        );
      }
      // options.ts keeps the label and group out of the features, so no column has two roles
      if (roles[first] !== SKIP) throw new Error(`column ${name} asked for twice`);
      roles[first] = role;
    }
    return roles;
  }

  #notNumeric(col: number, bytes: Buffer, start: number, end: number, line: number, role = ''): never {
    const text = bytes.toString('utf8', start, end);
    const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    const what = text.trim() === '' ? 'is empty' : `is ${JSON.stringify(shown)}, not a number`;
    const column = role === '' ? this.#header![col] : `${this.#header![col]} (${role})`;
    const fix =
      role === '' ? '' : '. A regression needs a finite number in every row: fill it in or drop the row';
    throw new TrainerError(
      'not-numeric',
      `${this.#file} line ${line}, column ${column}: value ${what}${fix}`,
    );
  }
}

function intern(index: Map<string, number>, value: string): number {
  let code = index.get(value);
  if (code === undefined) {
    code = index.size;
    index.set(value, code);
  }
  return code;
}

function missingColumnsMessage(missing: readonly string[], header: readonly string[], file: string): string {
  const hints = missing.map((name) => {
    const near = closest(name, header);
    return near === undefined ? name : `${name} (did you mean ${near}?)`;
  });
  const what = missing.length === 1 ? `column ${hints[0]}` : `columns ${hints.join(', ')}`;
  return `${what} not in ${file}; it has: ${header.join(', ')}`;
}

/** The header name within two edits of `name` (fewer for short names), for a typo hint. */
function closest(name: string, header: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of header) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
