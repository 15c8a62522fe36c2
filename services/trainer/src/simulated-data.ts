/**
 * Simulator samples as the training CSV that `pnpm export-training-data` writes: fixtures for the tests,
 * and the core of scripts/simulator-to-csv.ts, the stand-in for the export until that CLI lands.
 */

import { PUMP_STATES, type TrainingSample } from '@pdm/contract';
import { FEATURE_COUNT, FeatureExtractor, TRAINING_SET_COLUMNS, yieldsFeatures } from '@pdm/features';
import { Rng } from '@pdm/forest';
import { formatPumpId, PumpTwin, trainingMessage } from '@pdm/pump-physics';

/** The export's header: identity, the shared features in their order, then the ground truth. */
export const EXPORT_COLUMNS = TRAINING_SET_COLUMNS;

export interface SimulationOptions {
  readonly pumps: number;
  readonly seed: number;
  /** Weibull scale in hours; 0.0469 at β = 2 is a mean life of 150 s, the production STRESS mode */
  readonly weibullEtaH: number;
  readonly weibullBeta?: number;
  readonly intervalS: number;
  readonly postFailureSamples: number;
  readonly idPrefix?: string;
  readonly startMs?: number;
}

/**
 * The training simulator's samples, generated in-process: every pump from new to failure plus the
 * post-failure samples, interleaved step by step across the fleet like the simulator's --stdout.
 */
export function* simulatedSamples(options: SimulationOptions): Generator<TrainingSample> {
  const intervalH = options.intervalS / 3600;
  const lifetime = { beta: options.weibullBeta ?? 2, eta: options.weibullEtaH };
  const pumps = Array.from({ length: options.pumps }, (_, index) => {
    const twin = new PumpTwin({ seed: options.seed, index, lifetime });
    const samples = Math.ceil(twin.lifecycle.ttfH / intervalH) + options.postFailureSamples;
    return { id: formatPumpId(options.idPrefix ?? `sim-s${options.seed}`, index), twin, samples };
  });
  const startMs = options.startMs ?? Date.parse('2026-01-01T00:00:00Z');
  let active = pumps;
  for (let step = 0; active.length > 0; step++) {
    const ts = Math.round(startMs + step * options.intervalS * 1000);
    for (const pump of active) yield trainingMessage(pump.id, ts, step, pump.twin.sample(intervalH));
    active = active.filter((p) => p.samples > step + 1);
  }
}

/** Collects samples with their features, then writes them as the export's CSV. */
export class ExportCsvBuilder {
  readonly #extractor = new FeatureExtractor();
  readonly #features: number[] = [];
  readonly #samples: TrainingSample[] = [];
  readonly #row = new Float64Array(FEATURE_COUNT);

  /** false for a sample the extractor refuses (not newer than its pump's last one) */
  add(sample: TrainingSample): boolean {
    if (!yieldsFeatures(this.#extractor.push(sample, this.#row))) return false;
    for (const v of this.#row) this.#features.push(v);
    this.#samples.push(sample);
    return true;
  }

  get rows(): number {
    return this.#samples.length;
  }

  /**
   * Row indices to write: all of them, or with `balance` every state undersampled at random to the
   * rarest state's count, in their original order.
   */
  selectRows(balance: { readonly seed: number } | undefined): number[] {
    const all = this.#samples.map((_, i) => i);
    if (!balance) return all;
    const byState = new Map<string, number[]>();
    for (const i of all) {
      const state = this.#samples[i]!.state;
      const rows = byState.get(state);
      if (rows) rows.push(i);
      else byState.set(state, [i]);
    }
    const keep = Math.min(...[...byState.values()].map((rows) => rows.length));
    const rng = new Rng(balance.seed, 0xba1a);
    const kept: number[] = [];
    for (const state of PUMP_STATES) {
      const rows = byState.get(state) ?? [];
      for (let k = rows.length - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        [rows[k], rows[j]] = [rows[j]!, rows[k]!];
      }
      kept.push(...rows.slice(0, keep));
    }
    return kept.sort((a, b) => a - b);
  }

  /** CSV lines, header first, each ending in \n */
  *lines(rows: readonly number[]): Generator<string> {
    yield `${EXPORT_COLUMNS.join(',')}\n`;
    for (const i of rows) {
      const s = this.#samples[i]!;
      const features = this.#features.slice(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT);
      yield `${s.ts},${s.pump_id},${s.seq},${features.join(',')},${s.state},${s.health_pct},${s.rul_h},${s.failure_mode}\n`;
    }
  }

  toCsv(balance?: { readonly seed: number }): string {
    return [...this.lines(this.selectRows(balance))].join('');
  }
}

/** The export's CSV of an in-process simulation, for tests. */
export function simulatedCsv(options: SimulationOptions & { readonly balance?: boolean }): string {
  const builder = new ExportCsvBuilder();
  for (const sample of simulatedSamples(options)) builder.add(sample);
  return builder.toCsv(options.balance ? { seed: options.seed } : undefined);
}
