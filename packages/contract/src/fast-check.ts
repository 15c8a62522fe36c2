/**
 * Allocation-free checks for the two high-volume messages, built from the same constants as the zod
 * schemas. They accept only what the schemas accept (fast-check.test.ts compares them on thousands of
 * cases); on a failure the caller asks zod, which says precisely what is wrong. At 20,000 messages a
 * second, zod's copy of every object costs more than the check itself.
 */
import { CHANNELS } from './channels.ts';
import {
  CHANNEL_BOUNDS,
  EPOCH_MAX_MS,
  EPOCH_MIN_MS,
  type Telemetry,
  type TrainingSample,
} from './schemas.ts';
import { FAILURE_MODES, PUMP_STATES } from './states.ts';
import { ID_PATTERN } from './topics.ts';

const BOUNDS = CHANNELS.map((c) => CHANNEL_BOUNDS[c]);

export function isTelemetry(value: unknown): value is Telemetry {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  const { pump_id, ts, seq } = m;
  if (typeof pump_id !== 'string' || !ID_PATTERN.test(pump_id)) return false;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < EPOCH_MIN_MS || ts > EPOCH_MAX_MS) return false;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return false;
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
