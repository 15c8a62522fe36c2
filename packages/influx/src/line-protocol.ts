/**
 * How a stored sample, prediction or alert becomes an InfluxDB point: measurements, tags, fields and
 * timestamps, all here. Readers (the export, the dashboard, Grafana) take the names from these constants.
 */
import {
  type Alert,
  CHANNELS,
  type LabelledSample,
  PROBABILITY_FIELDS,
  type Prediction,
  PUMP_STATES,
} from '@pdm/contract';
import { InfluxError } from './errors.ts';

/** Telemetry and training samples. */
export const MEASUREMENT = 'pump_telemetry';
/** Inference's predictions, one point per pump and device time. */
export const PREDICTION_MEASUREMENT = 'pump_prediction';
/** Inference's alerts, one point per pump, device time and kind. */
export const ALERT_MEASUREMENT = 'pump_alert';
/**
 * A prediction's remaining useful life (float, hours) and the RUL model that made it (string): fields of
 * PREDICTION_MEASUREMENT written only while a RUL model serves.
 */
export const RUL_FIELD = 'rul_h';
export const RUL_MODEL_VERSION_FIELD = 'rul_model_version';
/** The alert's second tag: an alarm and a recovery at the same time are two points, not one. */
export const ALERT_KIND_TAG = 'kind';

/**
 * The only tag. InfluxDB identifies a point by measurement + tag set + time, and the outbox identifies a
 * sample by pump_id + ts, so pump_id must be the whole tag set:
 * - a redelivered batch then overwrites its own points instead of adding copies;
 * - production ground truth arrives on its own topic, possibly after the telemetry was forwarded; written
 *   again with `state` and `failure_mode` as fields, it merges into the same point. As tags they would
 *   start a second series and the sample would be read back twice;
 * - series stay at pumps × fields whatever the pumps do, and the reader's pivot gets one row per sample,
 *   where tagging state and failure mode could split a pump's history over 16 tables.
 * Nothing filters by state inside InfluxDB; training filters the exported rows.
 */
export const TAG = 'pump_id';

/**
 * Fields present in every point: the channels and the device's sequence number. The ground truth
 * (GROUND_TRUTH_FIELDS of @pdm/contract) is written only when the sample carries it.
 */
export const REQUIRED_FIELDS = [...CHANNELS, 'seq'] as const;

/** Write with this precision: `ts` is epoch milliseconds, so the line carries it unchanged. */
export const PRECISION = 'ms';

/**
 * One line of line protocol, without the newline. Throws InfluxError `invalid_sample` for a sample that
 * would make InfluxDB reject its whole batch, so the caller can set that one row aside.
 *
 * The channels are spelled out rather than looped over CHANNELS: one template measured five times as
 * fast as appending field by field, and line-protocol.test.ts fails if a channel is added to CHANNELS
 * and not here. Numbers print with String(): the shortest text that parses back to the same double, so
 * values survive the round trip exactly (and faster than fixed decimals, measured).
 */
export function encodeSample(s: LabelledSample): string {
  checkNumbers(s);
  let line =
    `${MEASUREMENT},${TAG}=${escapeTagValue(s.pump_id)} ` +
    `vibration_x=${num(s.vibration_x)},vibration_y=${num(s.vibration_y)},vibration_z=${num(s.vibration_z)}` +
    `,vibration_rms=${num(s.vibration_rms)},temperature=${num(s.temperature)},pressure=${num(s.pressure)}` +
    `,flow=${num(s.flow)},current=${num(s.current)},rpm=${num(s.rpm)},seq=${s.seq}i`;
  // Absent (undefined) and null both mean no ground truth.
  if (s.health_pct != null) line += `,health_pct=${num(s.health_pct)}`;
  if (s.rul_h != null) line += `,rul_h=${num(s.rul_h)}`;
  if (s.state != null) line += `,state=${stringField(s.state)}`;
  if (s.failure_mode != null) line += `,failure_mode=${stringField(s.failure_mode)}`;
  return `${line} ${s.ts}`;
}

/**
 * A prediction as one point of PREDICTION_MEASUREMENT, tagged with pump_id only, as samples are (a
 * redelivery overwrites itself; states are fields, so a pump's predictions stay one series). Fields:
 * state, raw_state, iso_zone, model_version (strings), a float per known class probability named by
 * PROBABILITY_FIELDS, vibration_rms, latency_ms, seq (integer); while a RUL model serves, also rul_h
 * (float, hours) and rul_model_version (string). Throws InfluxError 'invalid_sample' for a number line
 * protocol cannot carry.
 */
export function encodePrediction(p: Prediction): string {
  if (
    !(
      Number.isFinite(p.vibration_rms) &&
      Number.isFinite(p.latency_ms) &&
      (p.rul_h === undefined || Number.isFinite(p.rul_h))
    )
  ) {
    throw new InfluxError('invalid_sample', `prediction of ${p.pump_id} at ${p.ts} has a non-finite number`);
  }
  checkKey(p.seq, p.ts);
  let line =
    `${PREDICTION_MEASUREMENT},${TAG}=${escapeTagValue(p.pump_id)} ` +
    `state=${stringField(p.state)},raw_state=${stringField(p.raw_state)}`;
  for (const state of PUMP_STATES) {
    const probability = p.probabilities[state];
    if (probability === undefined) continue;
    if (!Number.isFinite(probability)) {
      throw new InfluxError(
        'invalid_sample',
        `probability of ${state} is ${probability}, not a finite number`,
      );
    }
    line += `,${PROBABILITY_FIELDS[state]}=${num(probability)}`;
  }
  line +=
    `,vibration_rms=${num(p.vibration_rms)},iso_zone=${stringField(p.iso_zone)}` +
    `,model_version=${stringField(p.model_version)},latency_ms=${num(p.latency_ms)},seq=${p.seq}i`;
  if (p.rul_h !== undefined) line += `,${RUL_FIELD}=${num(p.rul_h)}`;
  if (p.rul_model_version !== undefined)
    line += `,${RUL_MODEL_VERSION_FIELD}=${stringField(p.rul_model_version)}`;
  return `${line} ${p.ts}`;
}

/**
 * An alert as one point of ALERT_MEASUREMENT, tagged with pump_id and kind (the store keys an alert by
 * pump, time and kind). Fields: state, previous_state, model_version, evidence (compact JSON), all
 * strings, and seq (integer).
 */
export function encodeAlert(a: Alert): string {
  checkKey(a.seq, a.ts);
  // Tags in key order, as InfluxDB prefers them: kind, then pump_id.
  return (
    `${ALERT_MEASUREMENT},${ALERT_KIND_TAG}=${escapeTagValue(a.kind)},${TAG}=${escapeTagValue(a.pump_id)} ` +
    `state=${stringField(a.state)},previous_state=${stringField(a.previous_state)}` +
    `,model_version=${stringField(a.model_version)},evidence=${stringField(JSON.stringify(a.evidence))}` +
    `,seq=${a.seq}i ${a.ts}`
  );
}

function checkKey(seq: number, ts: number): void {
  if (!Number.isSafeInteger(seq))
    throw new InfluxError('invalid_sample', `seq is ${seq}, not a safe integer`);
  if (!Number.isSafeInteger(ts)) throw new InfluxError('invalid_sample', `ts is ${ts}, not a safe integer`);
}

const THOUSANDTHS = ['', '00', '0', ''];

/**
 * A float field, exactly. Values with at most three decimals (what the simulators and most sensors
 * send) print from integers, about twice as fast as String(), which searches for the shortest text of
 * every double; the text parses back to the same double. Anything else falls back to String().
 */
export function num(x: number): string {
  const scaled = Math.round(x * 1000);
  if (scaled / 1000 !== x || !Number.isSafeInteger(scaled)) return String(x);
  const abs = scaled < 0 ? -scaled : scaled;
  const whole = Math.floor(abs / 1000);
  const frac = abs - whole * 1000;
  const sign = scaled < 0 ? '-' : '';
  if (frac === 0) return `${sign}${whole}`;
  const digits = String(frac);
  return `${sign}${whole}.${THOUSANDTHS[digits.length]}${digits}`;
}

const TAG_NEEDS_CARE = /[,= \\\n\r]/;
const TAG_SPECIALS = /[,= ]/g;
const UNREPRESENTABLE_IN_TAG = /[\\\n\r]/;

/**
 * Escapes commas, equals signs and spaces. A backslash cannot be written faithfully (InfluxDB unescapes
 * only `\,` `\=` `\ `, and a trailing one would escape the separator) and a line break ends the line.
 */
export function escapeTagValue(value: string): string {
  // the usual id needs nothing, and a non-global test is far cheaper than a replace that finds nothing
  if (value !== '' && !TAG_NEEDS_CARE.test(value)) return value;
  if (value === '' || UNREPRESENTABLE_IN_TAG.test(value)) {
    throw new InfluxError('invalid_sample', `pump_id ${JSON.stringify(value)} cannot be a line protocol tag`);
  }
  return value.replace(TAG_SPECIALS, '\\$&');
}

const STRING_NEEDS_CARE = /["\\]/;
const STRING_SPECIALS = /["\\]/g;

/** A string field value: double quotes, with `"` and `\` escaped. */
export function stringField(value: string): string {
  return STRING_NEEDS_CARE.test(value) ? `"${value.replace(STRING_SPECIALS, '\\$&')}"` : `"${value}"`;
}

function checkNumbers(s: LabelledSample): void {
  // One cheap test on the hot path; the loop below only runs to name the culprit.
  const ok =
    Number.isFinite(s.vibration_x + s.vibration_y + s.vibration_z + s.vibration_rms + s.temperature) &&
    Number.isFinite(s.pressure + s.flow + s.current + s.rpm) &&
    Number.isSafeInteger(s.seq) &&
    Number.isSafeInteger(s.ts) &&
    (s.health_pct == null || Number.isFinite(s.health_pct)) &&
    (s.rul_h == null || Number.isFinite(s.rul_h));
  if (ok) return;
  for (const key of [...CHANNELS, 'health_pct', 'rul_h'] as const) {
    const value = s[key];
    if (value != null && !Number.isFinite(value)) {
      throw new InfluxError('invalid_sample', `${key} is ${String(value)}, not a finite number`);
    }
  }
  for (const key of ['seq', 'ts'] as const) {
    if (!Number.isSafeInteger(s[key])) {
      throw new InfluxError('invalid_sample', `${key} is ${String(s[key])}, not a safe integer`);
    }
  }
  // Only a sum of huge finite values overflowing gets here: the sample is fine.
}
