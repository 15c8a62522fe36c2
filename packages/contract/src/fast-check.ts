/**
 * Allocation-free checks for the high-volume messages, built from the same constants as the zod
 * schemas. They accept only what the schemas accept (fast-check.test.ts compares them on thousands of
 * cases); on a failure the caller asks zod, which says precisely what is wrong. At 20,000 messages a
 * second, zod's copy of every object costs more than the check itself.
 */
import { CHANNELS } from './channels.ts';
import {
  CHANNEL_BOUNDS,
  EPOCH_MAX_MS,
  EPOCH_MIN_MS,
  type Prediction,
  type Telemetry,
  type TrainingSample,
} from './schemas.ts';
import { FAILURE_MODES, ISO_ZONES, PUMP_STATES } from './states.ts';
import { ID_PATTERN } from './topics.ts';

const BOUNDS = CHANNELS.map((c) => CHANNEL_BOUNDS[c]);

/** pump_id, ts and seq, which every per-pump message starts with. */
function hasSampleKey(m: Record<string, unknown>): boolean {
  const { pump_id, ts, seq } = m;
  if (typeof pump_id !== 'string' || !ID_PATTERN.test(pump_id)) return false;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < EPOCH_MIN_MS || ts > EPOCH_MAX_MS) return false;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0;
}

export function isTelemetry(value: unknown): value is Telemetry {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (!hasSampleKey(m)) return false;
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

/** A prediction: inference publishes one per telemetry message, so acquisition checks as many. */
export function isPrediction(value: unknown): value is Prediction {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (!hasSampleKey(m)) return false;
  const { state, raw_state, probabilities, vibration_rms, iso_zone, model_version, latency_ms } = m;
  if (!(PUMP_STATES as readonly unknown[]).includes(state)) return false;
  if (!(PUMP_STATES as readonly unknown[]).includes(raw_state)) return false;
  if (typeof vibration_rms !== 'number' || !Number.isFinite(vibration_rms)) return false;
  if (!(ISO_ZONES as readonly unknown[]).includes(iso_zone)) return false;
  if (typeof model_version !== 'string') return false;
  if (typeof latency_ms !== 'number' || !(latency_ms >= 0 && latency_ms <= Number.MAX_VALUE)) return false;
  if (typeof probabilities !== 'object' || probabilities === null || Array.isArray(probabilities))
    return false;
  const p = probabilities as Record<string, unknown>;
  for (const key in p) {
    const v = p[key];
    if (!(PUMP_STATES as readonly string[]).includes(key)) return false;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) return false;
  }
  return true;
}
