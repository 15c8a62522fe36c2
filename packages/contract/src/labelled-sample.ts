/**
 * A sample with its ground truth when it is known: the one shape that stores, the InfluxDB outbox and
 * the training-set export hand around, and the one list of its fields they all build their columns from.
 */
import { CHANNELS } from './channels.ts';
import type { Telemetry, TrainingSample } from './schemas.ts';

/** The ground truth a training sample adds to telemetry, in the order stores keep it. */
export const GROUND_TRUTH_FIELDS = ['state', 'health_pct', 'rul_h', 'failure_mode'] as const;
export type GroundTruthField = (typeof GROUND_TRUTH_FIELDS)[number];

/**
 * Telemetry, plus the ground truth when the sample came labelled (the training topic). Raw telemetry
 * has none: its ground-truth fields are absent (the wire, InfluxDB) or null (an SQLite column).
 */
export type LabelledSample = Telemetry & {
  [K in GroundTruthField]?: TrainingSample[K] | null;
};

/**
 * Every field of a LabelledSample, in the order the SQLite store's columns, its raw rows and the
 * export's packed batches hold them. A new channel in CHANNELS reaches all of them from here.
 */
export const SAMPLE_FIELDS = ['pump_id', 'ts', 'seq', ...CHANNELS, ...GROUND_TRUTH_FIELDS] as const;
export type SampleField = (typeof SAMPLE_FIELDS)[number];
