/**
 * Stored samples from SQLite as export rows, in this thread or across threads. The reader thread packs
 * each batch of samples into one Float64Array, which moves to the main thread without a copy; the main
 * thread reads it back into a single row object, refilled for every sample. Neither side makes an
 * object per sample.
 */

import { FAILURE_MODES, type FailureMode, PUMP_STATES, type PumpState } from '@pdm/contract';
import { SAMPLE_COLUMNS, type SampleValues } from '@pdm/store';
import type { ExportRow } from './source.ts';

const column = (name: (typeof SAMPLE_COLUMNS)[number]) => SAMPLE_COLUMNS.indexOf(name);
const PUMP_ID = column('pump_id');
const STATE = column('state');
const FAILURE_MODE = column('failure_mode');
/** the numeric columns, in the order a batch holds them; health_pct and rul_h are NaN when null */
const NUMBER_COLUMNS = SAMPLE_COLUMNS.filter((c) => c !== 'pump_id' && c !== 'state' && c !== 'failure_mode');
const NUMBER_INDEX = NUMBER_COLUMNS.map(column);
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

export type MutableRow = { -readonly [K in keyof ExportRow]: ExportRow[K] };

export function emptyRow(): MutableRow {
  return {
    pump_id: '',
    ts: 0,
    seq: 0,
    vibration_x: 0,
    vibration_y: 0,
    vibration_z: 0,
    vibration_rms: 0,
    temperature: 0,
    pressure: 0,
    flow: 0,
    current: 0,
    rpm: 0,
    state: null,
    health_pct: null,
    rul_h: null,
    failure_mode: null,
  };
}

const STATE_CODE = new Map<unknown, number>(PUMP_STATES.map((s, i) => [s, i]));
const MODE_CODE = new Map<unknown, number>(FAILURE_MODES.map((m, i) => [m, i]));

/** In this thread: the store's value arrays into one row object, refilled for every sample. */
export function* valuesAsRows(values: Iterable<SampleValues>): Generator<ExportRow> {
  const row = emptyRow() as unknown as Record<string, string | number | null>;
  for (const v of values) {
    for (let i = 0; i < SAMPLE_COLUMNS.length; i++)
      row[SAMPLE_COLUMNS[i] as string] = v[i] as string | number | null;
    yield row as unknown as ExportRow;
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

const [TS, SEQ, VX, VY, VZ, VRMS, TEMPERATURE, PRESSURE, FLOW, CURRENT, RPM, HEALTH_PCT, RUL_H] = (
  [
    'ts',
    'seq',
    'vibration_x',
    'vibration_y',
    'vibration_z',
    'vibration_rms',
    'temperature',
    'pressure',
    'flow',
    'current',
    'rpm',
    'health_pct',
    'rul_h',
  ] as const
).map((c) => NUMBER_COLUMNS.indexOf(c)) as number[];

/** Main side: the batch's samples, one after another, in `row` (refilled, so used up by the next). */
export function* batchAsRows(batch: ValueBatch, row: MutableRow): Generator<ExportRow> {
  const n = batch.numbers;
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
    row.ts = n[o + (TS as number)] as number;
    row.seq = n[o + (SEQ as number)] as number;
    row.vibration_x = n[o + (VX as number)] as number;
    row.vibration_y = n[o + (VY as number)] as number;
    row.vibration_z = n[o + (VZ as number)] as number;
    row.vibration_rms = n[o + (VRMS as number)] as number;
    row.temperature = n[o + (TEMPERATURE as number)] as number;
    row.pressure = n[o + (PRESSURE as number)] as number;
    row.flow = n[o + (FLOW as number)] as number;
    row.current = n[o + (CURRENT as number)] as number;
    row.rpm = n[o + (RPM as number)] as number;
    const health = n[o + (HEALTH_PCT as number)] as number;
    row.health_pct = Number.isNaN(health) ? null : health;
    const rul = n[o + (RUL_H as number)] as number;
    row.rul_h = Number.isNaN(rul) ? null : rul;
    const state = n[o + NUMBER_COLUMNS.length] as number;
    row.state = state < 0 ? null : (PUMP_STATES[state] as PumpState);
    const mode = n[o + NUMBER_COLUMNS.length + 1] as number;
    row.failure_mode = mode < 0 ? null : (FAILURE_MODES[mode] as FailureMode);
    yield row;
  }
}
