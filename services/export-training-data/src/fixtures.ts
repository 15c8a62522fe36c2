/**
 * Labelled fleets and SQLite stores for the tests and the benchmark (not used by the CLI itself).
 * Samples come from the training simulator's own fleet (@pdm/pump-physics), so features and states are real.
 */
import { join } from 'node:path';
import type { LabelledSample, TrainingSample } from '@pdm/contract';
import { trainingFleet } from '@pdm/pump-physics';
import { type NewSample, SampleStore } from '@pdm/store';
import { BatchedWriter } from './batched-writer.ts';

export interface FleetOptions {
  readonly pumps: number;
  readonly seed?: number;
  /** Weibull scale of the time to failure, hours; small values give short lifecycles */
  readonly etaH?: number;
  readonly intervalS?: number;
  readonly postFailureSamples?: number;
  /** device time of every pump's first sample */
  readonly startMs?: number;
  readonly idPrefix?: string;
  /** stop after this many samples in all */
  readonly maxSamples?: number;
}

export const FLEET_START_MS = Date.UTC(2026, 0, 1);

/** One labelled sample, every value at its wire resolution. */
export const EXAMPLE_SAMPLE: TrainingSample = {
  pump_id: 'train-s1-00001',
  ts: 1_767_225_600_000,
  seq: 12,
  vibration_x: 1.377,
  vibration_y: 1.176,
  vibration_z: 0.82,
  vibration_rms: 1.148,
  temperature: 45.65,
  pressure: 6.53,
  flow: 127.55,
  current: 58.18,
  rpm: 2960,
  state: 'WARNING',
  health_pct: 61.5,
  rul_h: 123.456,
  failure_mode: 'CAVITATION',
};

/**
 * trainingFleet with short lifecycles by default, as samples: every pump from new to a few samples past
 * failure, interleaved step by step across the fleet as the training simulator sends them.
 */
export function* labelledFleet(options: FleetOptions): Generator<TrainingSample> {
  const seed = options.seed ?? 1;
  const max = options.maxSamples ?? Number.POSITIVE_INFINITY;
  let produced = 0;
  for (const message of trainingFleet({
    pumps: options.pumps,
    seed,
    lifetime: { beta: 2, eta: options.etaH ?? 60 },
    intervalS: options.intervalS ?? 600,
    postFailureSamples: options.postFailureSamples ?? 10,
    startMs: options.startMs ?? FLEET_START_MS,
    idPrefix: options.idPrefix ?? `test-s${seed}`,
  })) {
    if (produced++ >= max) return;
    yield message.sample;
  }
}

/** Writes samples into a new store at `path` in large transactions; returns how many. */
export function fillStore(
  path: string,
  samples: Iterable<LabelledSample>,
  source: NewSample['source'] = 'training',
): number {
  const store = SampleStore.open(path, { durability: 'NORMAL' });
  try {
    const writer = new BatchedWriter(store);
    for (const sample of samples) writer.add({ sample, source });
    writer.flush();
    return writer.counts.inserted;
  } finally {
    store.close();
  }
}

export const storePath = (dir: string) => join(dir, 'data', 'pdm.sqlite');
