/**
 * Stored samples from SQLite as export rows, in this thread or across threads. The reader thread packs
 * each batch of samples into one Float64Array, which moves to the main thread without a copy; the main
 * thread reads it back into a single row object, refilled for every sample. Neither side makes an
 * object per sample. Both sides lay the samples out from the store's column list alone.
 */

import {
  FAILURE_MODES,
  type FailureMode,
  GROUND_TRUTH_FIELDS,
  type LabelledSample,
  PUMP_STATES,
  type PumpState,
} from '@pdm/contract';
import { SAMPLE_COLUMNS, type SampleValues } from '@pdm/store';

type Column = (typeof SAMPLE_COLUMNS)[number];
const column = (name: Column) => SAMPLE_COLUMNS.indexOf(name);
const PUMP_ID = column('pump_id');
const STATE = column('state');
const FAILURE_MODE = column('failure_mode');
/** the columns that hold text; every other one holds a number */
const TEXT_COLUMNS: readonly Column[] = ['pump_id', 'state', 'failure_mode'];
/** the numeric columns, in the order a batch holds them */
const NUMBER_COLUMNS = SAMPLE_COLUMNS.filter((c) => !TEXT_COLUMNS.includes(c));
const NUMBER_INDEX = NUMBER_COLUMNS.map(column);
const NULLABLE_COLUMNS: readonly Column[] = GROUND_TRUTH_FIELDS;
/** per numeric column: whether it may be null (the ground truth), which a batch holds as NaN */
const NULLABLE = NUMBER_COLUMNS.map((c) => NULLABLE_COLUMNS.includes(c));
/** per sample: the numbers, then the state and failure mode as indexes into their lists (-1: null) */
export const SLOTS_PER_SAMPLE = NUMBER_COLUMNS.length + 2;

/** Samples packed for the trip between threads. */
export interface ValueBatch {
  readonly samples: number;
  readonly numbers: Float64Array;
  /** pump ids in order of appearance; samples come pump by pump, so a batch holds few */
  readonly pumps: readonly string[];
  /** end (exclusive) of each pump's samples in the batch */
  readonly pumpEnds: readonly number[];
}

/**
 * A row to refill: every column there from the start, in SAMPLE_COLUMNS order. Compiled once into an
 * object literal, so that V8 keeps the fields inside the object: a row built field by field keeps them
 * in a separate store, which measured three times slower to refill.
 */
export const emptyRow = new Function(
  `return { ${SAMPLE_COLUMNS.map((c) => `${c}: ${c === 'pump_id' ? "''" : NULLABLE_COLUMNS.includes(c) ? 'null' : '0'}`).join(', ')} };`,
) as () => LabelledSample;

const STATE_CODE = new Map<unknown, number>(PUMP_STATES.map((s, i) => [s, i]));
const MODE_CODE = new Map<unknown, number>(FAILURE_MODES.map((m, i) => [m, i]));

/** In this thread: the store's value arrays into one row object, refilled for every sample. */
export function* valuesAsRows(values: Iterable<SampleValues>): Generator<LabelledSample> {
  const row = emptyRow() as unknown as Record<string, string | number | null>;
  for (const v of values) {
    for (let i = 0; i < SAMPLE_COLUMNS.length; i++)
      row[SAMPLE_COLUMNS[i] as string] = v[i] as string | number | null;
    yield row as unknown as LabelledSample;
  }
}

/** Reader side: fills batches of `capacity` samples. */
export class ValueBatcher {
  readonly capacity: number;
  /** buffers the main thread has sent back, ready to fill again */
  readonly #spare: ArrayBuffer[] = [];
  #numbers: Float64Array;
  #samples = 0;
  #pumps: string[] = [];
  #pumpEnds: number[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#numbers = new Float64Array(capacity * SLOTS_PER_SAMPLE);
  }

  get samples(): number {
    return this.#samples;
  }

  get full(): boolean {
    return this.#samples === this.capacity;
  }

  add(values: SampleValues): void {
    const pump = values[PUMP_ID] as string;
    if (pump !== this.#pumps[this.#pumps.length - 1]) {
      if (this.#pumps.length > 0) this.#pumpEnds.push(this.#samples);
      this.#pumps.push(pump);
    }
    const numbers = this.#numbers;
    let o = this.#samples * SLOTS_PER_SAMPLE;
    for (let k = 0; k < NUMBER_INDEX.length; k++)
      numbers[o++] = (values[NUMBER_INDEX[k] as number] as number | null) ?? Number.NaN;
    numbers[o++] = STATE_CODE.get(values[STATE]) ?? -1;
    numbers[o] = MODE_CODE.get(values[FAILURE_MODE]) ?? -1;
    this.#samples++;
  }

  /** The batch so far; the batcher starts a new one (the old buffer may be transferred away). */
  take(): ValueBatch {
    this.#pumpEnds.push(this.#samples);
    const batch = {
      samples: this.#samples,
      numbers: this.#numbers,
      pumps: this.#pumps,
      pumpEnds: this.#pumpEnds,
    };
    const spare = this.#spare.pop();
    this.#numbers = spare ? new Float64Array(spare) : new Float64Array(this.capacity * SLOTS_PER_SAMPLE);
    this.#samples = 0;
    this.#pumps = [];
    this.#pumpEnds = [];
    return batch;
  }

  /** A batch buffer back from the main thread, to fill again instead of allocating one. */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === this.capacity * SLOTS_PER_SAMPLE * 8) this.#spare.push(buffer);
  }
}

/**
 * Copies one sample's numbers from a batch into a row: `row.<column> = n[o + k]` for each numeric
 * column, NaN as null for the ground truth. Compiled once from the column list: a loop over the names
 * makes every store a keyed lookup, which measured about five times slower than these plain assignments,
 * and this runs for every sample of an export. The names come from SAMPLE_COLUMNS, never from input.
 */
const fillNumbers = new Function(
  'row',
  'n',
  'o',
  NUMBER_COLUMNS.map((c, k) =>
    NULLABLE[k] ? `{ const x = n[o + ${k}]; row.${c} = x === x ? x : null; }` : `row.${c} = n[o + ${k}];`,
  ).join('\n'),
) as (row: LabelledSample, n: Float64Array, o: number) => void;

/** Main side: the batch's samples, one after another, in `row` (refilled, so used up by the next). */
export function* batchAsRows(batch: ValueBatch, row: LabelledSample): Generator<LabelledSample> {
  const n = batch.numbers;
  const codes = NUMBER_COLUMNS.length;
  let pump = 0;
  let pumpEnd = batch.pumpEnds[0] as number;
  row.pump_id = batch.pumps[0] as string;
  for (let s = 0; s < batch.samples; s++) {
    if (s === pumpEnd) {
      pump++;
      pumpEnd = batch.pumpEnds[pump] as number;
      row.pump_id = batch.pumps[pump] as string;
    }
    const o = s * SLOTS_PER_SAMPLE;
    fillNumbers(row, n, o);
    const state = n[o + codes] as number;
    row.state = state < 0 ? null : (PUMP_STATES[state] as PumpState);
    const mode = n[o + codes + 1] as number;
    row.failure_mode = mode < 0 ? null : (FAILURE_MODES[mode] as FailureMode);
    yield row;
  }
}
