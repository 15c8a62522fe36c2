/**
 * The Flux the dashboard asks InfluxDB, one builder per question, kept in this package so that Grafana
 * dashboards read the same measurements and fields the same way. Pure functions, parameters in and
 * query text out; every string goes into the query through fluxString.
 *
 * Cost notes, for InfluxDB 2.x: a `last()` straight after range and filter is pushed down to storage
 * (one point per series, however long the range); pivot, group and sort run in the query engine and
 * hold their input in memory, so every query here narrows to one pump, one field or a few rows first.
 */
import {
  type AlertFilter,
  type AlertKind,
  type Channel,
  EPOCH_MAX_MS,
  EPOCH_MIN_MS,
  PROBABILITY_FIELDS,
  PUMP_STATES,
} from '@pdm/contract';
import { InfluxError } from './errors.ts';
// As acquisition writes them (line-protocol.ts owns the names): a prediction and an alert are each one
// point per pump and device time, the pump id the series' tag, and an alert's kind a second tag.
import {
  ALERT_KIND_TAG,
  ALERT_MEASUREMENT,
  MEASUREMENT,
  PREDICTION_MEASUREMENT,
  RUL_FIELD,
  RUL_MODEL_VERSION_FIELD,
  TAG,
} from './line-protocol.ts';
import { fluxString, fluxStrings, fluxTime } from './query.ts';

/** The columns a prediction row is read from. */
export const PREDICTION_COLUMNS = [
  '_time',
  TAG,
  'seq',
  'state',
  'raw_state',
  // a class probability's field (p_healthy, …) is written only for the classes the model knows
  ...PUMP_STATES.map((s) => PROBABILITY_FIELDS[s]),
  'vibration_rms',
  'iso_zone',
  'model_version',
  'latency_ms',
  // written only while a RUL model serves
  RUL_FIELD,
  RUL_MODEL_VERSION_FIELD,
] as const;

/** The columns an alert row is read from; `evidence` is the contract's evidence object as JSON. */
export const ALERT_COLUMNS = [
  '_time',
  TAG,
  ALERT_KIND_TAG,
  'seq',
  'state',
  'previous_state',
  'model_version',
  'evidence',
] as const;

/**
 * How far back the fleet's latest predictions and the model history look: 7 days. A pump silent for
 * longer is left off the fleet view until it speaks again (it would show as offline long before), and
 * a model version not used for 7 days leaves the history. The bound keeps those two queries cheap:
 * the model history reads every prediction's model_version in it.
 */
export const DASHBOARD_LOOKBACK_MS = 7 * 86_400_000;

/**
 * The whole store: the contract admits device times from EPOCH_MIN_MS to EPOCH_MAX_MS, so a query
 * without a bound keeps pumps whose clocks run ahead, which range()'s default stop, now(), would drop.
 */
const STORE_START_MS = EPOCH_MIN_MS;
const STORE_STOP_MS = EPOCH_MAX_MS + 1;

const PIVOT = '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")';

/** One pump's telemetry in [fromMs, toMs), ascending by time: `_time` then the channels asked for. */
export function samplesFlux(
  bucket: string,
  query: { pumpId: string; fromMs: number; toMs: number; channels: readonly Channel[] },
): string {
  // Without channels the rows still say when there were samples: seq is in every point.
  const fields = query.channels.length > 0 ? query.channels : ['seq'];
  return [
    ...fromRange(bucket, query.fromMs, query.toMs),
    `  |> filter(fn: (r) => ${is('_measurement', MEASUREMENT)} and ${is(TAG, query.pumpId)})`,
    `  |> filter(fn: (r) => ${fields.map((f) => is('_field', f)).join(' or ')})`,
    PIVOT,
    `  |> keep(columns: ${fluxStrings(['_time', ...query.channels])})`,
    `  |> sort(columns: ["_time"])`,
  ].join('\n');
}

/** One pump's predictions in [fromMs, toMs), ascending. */
export function predictionsFlux(
  bucket: string,
  query: { pumpId: string; fromMs: number; toMs: number },
): string {
  return [
    ...fromRange(bucket, query.fromMs, query.toMs),
    `  |> filter(fn: (r) => ${is('_measurement', PREDICTION_MEASUREMENT)} and ${is(TAG, query.pumpId)})`,
    PIVOT,
    `  |> keep(columns: ${fluxStrings(PREDICTION_COLUMNS)})`,
    `  |> sort(columns: ["_time"])`,
  ].join('\n');
}

/**
 * One pump's last `limit` predictions before `beforeMs` (exclusive), newest first, looking back at most
 * `lookbackMs`. tail() keeps each field's newest `limit` points before the pivot, so the engine pivots
 * and sorts a few rows rather than the whole lookback; it is exact, as every point has every field but
 * the class probabilities and the RUL, and the older rows of those fall to the final limit.
 */
export function lastPredictionsFlux(
  bucket: string,
  query: { pumpId: string; beforeMs: number; limit: number; lookbackMs?: number },
): string {
  const limit = positiveInteger(query.limit, 'limit');
  return [
    ...fromRange(bucket, query.beforeMs - (query.lookbackMs ?? DASHBOARD_LOOKBACK_MS), query.beforeMs),
    `  |> filter(fn: (r) => ${is('_measurement', PREDICTION_MEASUREMENT)} and ${is(TAG, query.pumpId)})`,
    `  |> tail(n: ${limit})`,
    PIVOT,
    `  |> keep(columns: ${fluxStrings(PREDICTION_COLUMNS)})`,
    `  |> sort(columns: ["_time"], desc: true)`,
    `  |> limit(n: ${limit})`,
  ].join('\n');
}

/**
 * The last prediction of every pump that has one in the `lookbackMs` before `nowMs` (7 days by
 * default), one row per pump. last() runs per field, so a class probability the newest model no longer
 * knows comes back from an older point: per pump only the newest row is kept.
 */
export function latestPredictionsFlux(bucket: string, query: { nowMs: number; lookbackMs?: number }): string {
  return [
    ...fromRange(bucket, query.nowMs - (query.lookbackMs ?? DASHBOARD_LOOKBACK_MS), STORE_STOP_MS),
    `  |> filter(fn: (r) => ${is('_measurement', PREDICTION_MEASUREMENT)})`,
    '  |> last()',
    PIVOT,
    `  |> keep(columns: ${fluxStrings(PREDICTION_COLUMNS)})`,
    `  |> sort(columns: ["_time"], desc: true)`,
    '  |> limit(n: 1)',
  ].join('\n');
}

/**
 * Alerts matching the query, newest first (ties: by pump id, then seq, descending), at most `limit`.
 * As for the last predictions, tail() keeps each series' newest `limit` before the pivot.
 */
export function alertsFlux(bucket: string, query: AlertFilter): string {
  const limit = positiveInteger(query.limit, 'limit');
  const conditions = [is('_measurement', ALERT_MEASUREMENT)];
  if (query.pumpId !== undefined) conditions.push(is(TAG, query.pumpId));
  if (query.kind !== undefined) conditions.push(is(ALERT_KIND_TAG, query.kind));
  return [
    ...fromRange(bucket, query.fromMs ?? STORE_START_MS, query.toMs ?? STORE_STOP_MS),
    `  |> filter(fn: (r) => ${conditions.join(' and ')})`,
    `  |> tail(n: ${limit})`,
    PIVOT,
    `  |> keep(columns: ${fluxStrings(ALERT_COLUMNS)})`,
    '  |> group()',
    `  |> sort(columns: ${fluxStrings(['_time', TAG, 'seq'])}, desc: true)`,
    `  |> limit(n: ${limit})`,
  ].join('\n');
}

/** The alerts that stay open until a recovery: a state alarm, and a low remaining useful life. */
export const OPEN_ALERT_KINDS = ['alarm', 'rul_low'] as const satisfies readonly AlertKind[];
export type OpenAlertKind = (typeof OPEN_ALERT_KINDS)[number];

/**
 * Per pump whose latest alert of `kind` or `recovered` is of `kind`, that alert; newest first. A
 * recovery (the pump back to HEALTHY, repaired) closes an alarm and a rul_low alike; an alarm and a
 * rul_low do not close each other. Over the whole store: an alarm stays open however old it is, and
 * last() reads one point per series, so that costs nothing.
 */
export function openAlarmsFlux(bucket: string, kind: OpenAlertKind = 'alarm'): string {
  const kinds = `${is(ALERT_KIND_TAG, kind)} or ${is(ALERT_KIND_TAG, 'recovered')}`;
  return [
    ...fromRange(bucket, STORE_START_MS, STORE_STOP_MS),
    `  |> filter(fn: (r) => ${is('_measurement', ALERT_MEASUREMENT)} and (${kinds}))`,
    '  |> last()',
    PIVOT,
    `  |> keep(columns: ${fluxStrings(ALERT_COLUMNS)})`,
    // each pump's last alert of the kind and last recovery into one table, the later of the two kept
    `  |> group(columns: ${fluxStrings([TAG])})`,
    `  |> sort(columns: ${fluxStrings(['_time', 'seq'])}, desc: true)`,
    '  |> limit(n: 1)',
    `  |> filter(fn: (r) => ${is(ALERT_KIND_TAG, kind)})`,
    '  |> group()',
    `  |> sort(columns: ${fluxStrings(['_time', TAG])}, desc: true)`,
  ].join('\n');
}

/**
 * When each model version was first (`min`) or last (`max`) seen in the predictions of the `lookbackMs`
 * before `nowMs`: one row per version, `_value` the version and `_time` the moment, oldest first. Flux
 * has no selector that returns both ends at once, so the history is these two queries joined.
 */
export function modelVersionSeenFlux(
  bucket: string,
  query: { edge: 'min' | 'max'; nowMs: number; lookbackMs?: number },
): string {
  return [
    ...fromRange(bucket, query.nowMs - (query.lookbackMs ?? DASHBOARD_LOOKBACK_MS), STORE_STOP_MS),
    `  |> filter(fn: (r) => ${is('_measurement', PREDICTION_MEASUREMENT)} and ${is('_field', 'model_version')})`,
    '  |> keep(columns: ["_time", "_value"])',
    '  |> group(columns: ["_value"])',
    // a function name, not a string: only these two words may go in
    `  |> ${query.edge === 'min' ? 'min' : 'max'}(column: "_time")`,
    '  |> group()',
    '  |> sort(columns: ["_time"])',
  ].join('\n');
}

/** `r["column"] == "value"` */
function is(column: string, value: string): string {
  return `r[${fluxString(column)}] == ${fluxString(value)}`;
}

function fromRange(bucket: string, startMs: number, stopMs: number): string[] {
  if (!(Number.isFinite(startMs) && Number.isFinite(stopMs) && startMs < stopMs)) {
    throw new InfluxError('invalid_argument', `the range [${startMs}, ${stopMs}) is empty or not a range`);
  }
  return [
    `from(bucket: ${fluxString(bucket)})`,
    `  |> range(start: ${fluxTime(startMs)}, stop: ${fluxTime(stopMs)})`,
  ];
}

function positiveInteger(value: number, name: string): number {
  if (Number.isSafeInteger(value) && value > 0) return value;
  throw new InfluxError('invalid_argument', `${name} must be a positive integer, not ${value}`);
}
