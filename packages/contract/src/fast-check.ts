/**
 * Allocation-free checks for the high-volume messages (telemetry and training samples, and, one per
 * sample, predictions and ground truth), built from the same constants as the zod schemas. They accept only what the schemas accept (fast-check.test.ts compares them on thousands of
 * cases); on a failure the caller asks zod, which says precisely what is wrong. At 20,000 messages a
 * second, zod's copy of every object costs more than the check itself.
 */
import { CHANNELS } from './channels.ts';
import {
  CHANNEL_BOUNDS,
  EPOCH_MAX_MS,
  EPOCH_MIN_MS,
  GATEWAY_TRUTH_ROW_FIELDS,
  type GatewayGroundTruth,
  type GatewayGroundTruthHeader,
  type GatewayRow,
  type GatewayTelemetry,
  type GatewayTelemetryHeader,
  type GatewayTruthRow,
  type GroundTruth,
  MAX_GATEWAY_ROWS,
  type Prediction,
  type Telemetry,
  type TrainingSample,
} from './schemas.ts';
import { CHAOS_KINDS, FAILURE_MODES, ISO_ZONES, PUMP_STATES } from './states.ts';
import { ID_PATTERN } from './topics.ts';

const BOUNDS = CHANNELS.map((c) => CHANNEL_BOUNDS[c]);

const STATES: readonly unknown[] = PUMP_STATES;

/** pump_id, ts and seq, which every pump message starts with. */
function hasPumpHeader(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const { pump_id, ts, seq } = value as Record<string, unknown>;
  return isId(pump_id) && isEpochMs(ts) && isSeq(seq);
}

const isId = (v: unknown): v is string => typeof v === 'string' && ID_PATTERN.test(v);
const isEpochMs = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= EPOCH_MIN_MS && v <= EPOCH_MAX_MS;
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function isTelemetry(value: unknown): value is Telemetry {
  if (!hasPumpHeader(value)) return false;
  const m = value;
  for (let i = 0; i < CHANNELS.length; i++) {
    const v = m[CHANNELS[i] as string];
    const [min, max] = BOUNDS[i] as readonly [number, number];
    // Comparisons with NaN are false, so NaN fails here too.
    if (typeof v !== 'number' || !(v >= min && v <= max)) return false;
  }
  return true;
}

export function isTrainingSample(value: unknown): value is TrainingSample {
  if (!isTelemetry(value)) return false;
  const m = value as unknown as Record<string, unknown>;
  const { state, health_pct, rul_h, failure_mode } = m;
  return (
    (PUMP_STATES as readonly unknown[]).includes(state) &&
    typeof health_pct === 'number' &&
    health_pct >= 0 &&
    health_pct <= 100 &&
    typeof rul_h === 'number' &&
    rul_h >= 0 &&
    rul_h <= Number.MAX_VALUE &&
    (FAILURE_MODES as readonly unknown[]).includes(failure_mode)
  );
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Class probabilities: only state names as keys, each a number in [0, 1]. */
function isProbabilities(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const p = record[key];
    if (!STATES.includes(key) || typeof p !== 'number' || !(p >= 0 && p <= 1)) return false;
  }
  return true;
}

export function isPrediction(value: unknown): value is Prediction {
  if (!hasPumpHeader(value)) return false;
  const { state, raw_state, probabilities, vibration_rms, iso_zone, model_version, latency_ms } = value;
  const { rul_h, rul_model_version } = value;
  return (
    (rul_h === undefined || (isFiniteNumber(rul_h) && rul_h >= 0)) &&
    (rul_model_version === undefined || typeof rul_model_version === 'string') &&
    STATES.includes(state) &&
    STATES.includes(raw_state) &&
    isProbabilities(probabilities) &&
    isFiniteNumber(vibration_rms) &&
    (ISO_ZONES as readonly unknown[]).includes(iso_zone) &&
    typeof model_version === 'string' &&
    isFiniteNumber(latency_ms) &&
    latency_ms >= 0
  );
}

export function isGroundTruth(value: unknown): value is GroundTruth {
  if (!hasPumpHeader(value)) return false;
  const { state, health_pct, rul_h, failure_mode, lifecycle, chaos } = value;
  return isTruth(state, health_pct, rul_h, failure_mode, lifecycle, chaos);
}

/** The fields of a ground truth after pump_id, ts and seq, in a per-pump message or a gateway row. */
function isTruth(
  state: unknown,
  health_pct: unknown,
  rul_h: unknown,
  failure_mode: unknown,
  lifecycle: unknown,
  chaos: unknown,
): boolean {
  if (!Array.isArray(chaos)) return false;
  for (const kind of chaos) if (!(CHAOS_KINDS as readonly unknown[]).includes(kind)) return false;
  return (
    STATES.includes(state) &&
    isFiniteNumber(health_pct) &&
    health_pct >= 0 &&
    health_pct <= 100 &&
    isFiniteNumber(rul_h) &&
    rul_h >= 0 &&
    (FAILURE_MODES as readonly unknown[]).includes(failure_mode) &&
    typeof lifecycle === 'number' &&
    Number.isSafeInteger(lifecycle) &&
    lifecycle >= 0
  );
}

const ROW_LENGTH = 2 + CHANNELS.length;

/** What every gateway message starts with: id, time, rows an array of at most the limit, and `names` once. */
function isGatewayHeader(value: unknown, namesKey: string, names: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  const { gateway_id, ts, rows } = record;
  const given = record[namesKey];
  if (!isId(gateway_id) || !isEpochMs(ts)) return false;
  if (!Array.isArray(rows) || rows.length > MAX_GATEWAY_ROWS) return false;
  if (!Array.isArray(given) || given.length !== names.length) return false;
  for (let i = 0; i < names.length; i++) if (given[i] !== names[i]) return false;
  return true;
}

/** A gateway telemetry message before its rows: id, time, the channel list, and its rows an array. */
export function isGatewayTelemetryHeader(value: unknown): value is GatewayTelemetryHeader {
  return isGatewayHeader(value, 'channels', CHANNELS);
}

/** A gateway ground-truth message before its rows: id, time, the field list, and its rows an array. */
export function isGatewayGroundTruthHeader(value: unknown): value is GatewayGroundTruthHeader {
  return isGatewayHeader(value, 'fields', GATEWAY_TRUTH_ROW_FIELDS);
}

/** One row of a gateway message: `[pump_id, seq, …channel values]`, each value within its bounds. */
export function isGatewayRow(row: unknown): row is GatewayRow {
  if (!Array.isArray(row) || row.length !== ROW_LENGTH) return false;
  if (!isId(row[0]) || !isSeq(row[1])) return false;
  for (let i = 0; i < CHANNELS.length; i++) {
    const v = row[i + 2];
    const [min, max] = BOUNDS[i] as readonly [number, number];
    if (typeof v !== 'number' || !(v >= min && v <= max)) return false;
  }
  return true;
}

export function isGatewayTelemetry(value: unknown): value is GatewayTelemetry {
  if (!isGatewayTelemetryHeader(value)) return false;
  for (const row of value.rows) if (!isGatewayRow(row)) return false;
  return true;
}

/** One row of a gateway ground-truth message, `[pump_id, seq, state, health_pct, rul_h, failure_mode, lifecycle, chaos]`. */
export function isGatewayTruthRow(row: unknown): row is GatewayTruthRow {
  if (!Array.isArray(row) || row.length !== GATEWAY_TRUTH_ROW_FIELDS.length) return false;
  return isId(row[0]) && isSeq(row[1]) && isTruth(row[2], row[3], row[4], row[5], row[6], row[7]);
}

export function isGatewayGroundTruth(value: unknown): value is GatewayGroundTruth {
  if (!isGatewayGroundTruthHeader(value)) return false;
  for (const row of value.rows) if (!isGatewayTruthRow(row)) return false;
  return true;
}
