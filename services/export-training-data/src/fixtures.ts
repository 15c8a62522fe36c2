/**
 * Labelled fleets and SQLite stores for the tests and the benchmark (not used by the CLI itself).
 * Samples come from the same pump twins the training simulator runs, so features and states are real.
 */
import { join } from 'node:path';
import type { TrainingSample } from '@pdm/contract';
import { formatPumpId, PumpTwin, trainingMessage } from '@pdm/pump-physics';
import { type NewSample, SampleStore } from '@pdm/store';

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

/**
 * Every pump from new to a few samples past failure, interleaved step by step across the fleet as a
 * real fleet's messages arrive (every pump's sample k before any pump's k + 1).
 */
export function* labelledFleet(options: FleetOptions): Generator<TrainingSample> {
  const seed = options.seed ?? 1;
  const intervalS = options.intervalS ?? 600;
  const startMs = options.startMs ?? FLEET_START_MS;
  const post = options.postFailureSamples ?? 10;
  const max = options.maxSamples ?? Number.POSITIVE_INFINITY;
  const intervalH = intervalS / 3600;
  let active = Array.from({ length: options.pumps }, (_, i) => {
    const twin = new PumpTwin({ seed, index: i, lifetime: { beta: 2, eta: options.etaH ?? 60 } });
    return {
      id: formatPumpId(options.idPrefix ?? `test-s${seed}`, i),
      twin,
      samples: Math.ceil(twin.lifecycle.ttfH / intervalH) + post,
    };
  });
  let produced = 0;
  for (let step = 0; active.length > 0; step++) {
    const ts = startMs + step * intervalS * 1000;
    for (const pump of active) {
      if (produced++ >= max) return;
      yield trainingMessage(pump.id, ts, step, pump.twin.sample(intervalH));
    }
    active = active.filter((p) => p.samples > step + 1);
  }
}

const BATCH = 50_000;

/** Writes samples into a new store at `path` in large transactions; returns how many. */
export function fillStore(
  path: string,
  samples: Iterable<TrainingSample>,
  source: NewSample['source'] = 'training',
): number {
  const store = SampleStore.open(path, { durability: 'NORMAL' });
  let batch: NewSample[] = [];
  let written = 0;
  try {
    for (const sample of samples) {
      batch.push({ sample, source });
      if (batch.length === BATCH) {
        written += store.write(batch).inserted;
        batch = [];
      }
    }
    written += store.write(batch).inserted;
  } finally {
    store.close();
  }
  return written;
}

export const storePath = (dir: string) => join(dir, 'data', 'pdm.sqlite');
