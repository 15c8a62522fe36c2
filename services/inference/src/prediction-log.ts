/**
 * The prediction log: every prediction as a JSON line and as a CSV row, one file of each per UTC day.
 * This module owns the CSV's header and its rows together, so the two cannot drift apart.
 */
import { PREDICTIONS_LOG, type Prediction, PUMP_STATES } from '@pdm/contract';
import { DailyLog } from './daily-log.ts';

export const CSV_HEADER = [
  'ts',
  'pump_id',
  'seq',
  'state',
  'raw_state',
  ...PUMP_STATES.map((s) => `p_${s}`),
  'vibration_rms',
  'iso_zone',
  'model_version',
  'latency_ms',
  // Added with the RUL model, at the end so that a reader of the older columns by position still works.
  'rul_h',
  'rul_model_version',
].join(',');

/**
 * One row in CSV_HEADER's columns, with its newline; a class the model lacks has an empty probability,
 * and the RUL columns are empty while no RUL model serves.
 */
export function csvRow(p: Prediction): string {
  let probabilities = '';
  for (const state of PUMP_STATES) probabilities += `${p.probabilities[state] ?? ''},`;
  return `${p.ts},${p.pump_id},${p.seq},${p.state},${p.raw_state},${probabilities}${p.vibration_rms},${p.iso_zone},${p.model_version},${p.latency_ms},${p.rul_h ?? ''},${p.rul_model_version ?? ''}\n`;
}

export interface PredictionFiles {
  readonly jsonl: DailyLog;
  readonly csv: DailyLog;
}

export function openPredictionFiles(dir: string, retainDays: number): PredictionFiles {
  const prefix = PREDICTIONS_LOG;
  return {
    jsonl: new DailyLog({ dir, prefix, extension: 'jsonl', retainDays }),
    csv: new DailyLog({ dir, prefix, extension: 'csv', header: CSV_HEADER, retainDays }),
  };
}

/** Collects a batch's rows, then writes each file once: whole lines, one write per file per batch. */
export class PredictionLog {
  #jsonl = '';
  #csv = '';
  readonly #files: PredictionFiles;

  constructor(files: PredictionFiles) {
    this.#files = files;
  }

  /** `json` is the prediction as published, so it is serialised once. */
  add(prediction: Prediction, json: string): void {
    this.#jsonl += `${json}\n`;
    this.#csv += csvRow(prediction);
  }

  /** Writes what was added since the last flush, in the files of `now`'s day. */
  flush(now = Date.now()): void {
    this.#files.jsonl.write(this.#jsonl, now);
    this.#files.csv.write(this.#csv, now);
    this.#jsonl = '';
    this.#csv = '';
  }
}
