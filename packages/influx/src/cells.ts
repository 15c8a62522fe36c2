/**
 * Typed reads of a Flux answer's cells, for the row decoders: InfluxDB sends every cell as text and a
 * null as an empty cell. A cell that is not what the schema says is an InfluxError `bad_response` that
 * names the row (pump and time) and the column.
 */
import { InfluxError } from './errors.ts';
import { TAG } from './line-protocol.ts';

/** A column of one table, located once per table header. */
export interface Column {
  readonly label: string;
  /** -1 when the table has no such column */
  readonly index: number;
}

/** One per table: `row()` points it at the next row, without allocating per row. */
export class RowCells {
  readonly #labels: readonly string[];
  readonly #pump: number;
  readonly #time: number;
  #values: readonly string[] = [];

  constructor(labels: readonly string[]) {
    this.#labels = labels;
    this.#pump = labels.indexOf(TAG);
    this.#time = labels.indexOf('_time');
  }

  column(label: string): Column {
    return { label, index: this.#labels.indexOf(label) };
  }

  row(values: readonly string[]): this {
    this.#values = values;
    return this;
  }

  /** the cell's text; undefined when null or when the table has no such column */
  text(column: Column): string | undefined {
    const text = this.#values[column.index];
    return text === undefined || text === '' ? undefined : text;
  }

  requiredText(column: Column): string {
    return this.text(column) ?? this.fail(`has no "${column.label}"`);
  }

  /** a finite number; undefined when null */
  number(column: Column): number | undefined {
    const text = this.text(column);
    if (text === undefined) return undefined;
    const value = Number(text);
    return Number.isFinite(value) ? value : this.fail(`has no number in "${column.label}": ${text}`);
  }

  requiredNumber(column: Column): number {
    return this.number(column) ?? this.fail(`has no number in "${column.label}"`);
  }

  member<T extends string>(allowed: readonly T[], column: Column): T {
    const text = this.requiredText(column);
    if ((allowed as readonly string[]).includes(text)) return text as T;
    return this.fail(`has unknown ${column.label} ${JSON.stringify(text)}`);
  }

  /** an RFC 3339 time as epoch milliseconds */
  time(column: Column): number {
    const ms = Date.parse(this.requiredText(column));
    return Number.isNaN(ms) ? this.fail(`has no time in "${column.label}"`) : ms;
  }

  /** the row's pump and time as far as they are known, for messages */
  where(): string {
    const pump = this.#values[this.#pump];
    const time = this.#values[this.#time];
    const parts = [pump ? `pump ${JSON.stringify(pump)}` : '', time ? `at ${time}` : ''].filter(Boolean);
    return parts.length > 0 ? parts.join(' ') : `row ${JSON.stringify(this.#values)}`;
  }

  fail(problem: string): never {
    throw new InfluxError('bad_response', `${this.where()} ${problem}`);
  }
}
