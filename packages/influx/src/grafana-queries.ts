/**
 * The Flux of the Grafana dashboards (deploy/grafana), one builder per panel, next to the built-in
 * dashboard's queries so that both read the measurements and fields acquisition writes, named by
 * line-protocol.ts and the contract.
 *
 * The text is what goes into the dashboard JSON, with Grafana's variables in it: `v.defaultBucket`,
 * `v.timeRangeStart`, `v.timeRangeStop` and `v.windowPeriod`, which Grafana's InfluxDB data source
 * replaces on the server before the query leaves for InfluxDB (pkg/tsdb/influxdb/flux/macros.go), and
 * `${pump_id}`, which the dashboard replaces in the browser. Neither reaches InfluxDB, so the tests
 * substitute them the same way (testing/grafana.ts) rather than teach the fake InfluxDB about them.
 *
 * `${pump_id}` goes into a string literal unescaped, as Grafana substitutes it: safe because a pump id
 * matches the contract's ID_PATTERN (letters, digits, `_.-`), and the variable lists only stored ids.
 */
import {
  ALARM_STATES,
  type Alert,
  CHANNELS,
  type Channel,
  type LabelledSample,
  PROBABILITY_FIELDS,
  type Prediction,
  PUMP_STATES,
} from '@pdm/contract';
import { DASHBOARD_LOOKBACK_MS, is, PIVOT } from './dashboard-queries.ts';
import {
  ALERT_KIND_TAG,
  ALERT_MEASUREMENT,
  MEASUREMENT,
  PREDICTION_MEASUREMENT,
  RUL_FIELD,
  TAG,
} from './line-protocol.ts';
import { fluxString, fluxStrings } from './query.ts';

/** The Pump dashboard's variable: the pump shown. */
export const PUMP_VARIABLE = 'pump_id';

/** Columns the dashboards' queries make, for the panels to name in overrides and links. */
export const GRAFANA_COLUMNS = {
  /** seconds since a pump's last prediction */
  ageS: 'age_s',
  samplesPerS: 'samples_per_s',
  accuracy: 'accuracy',
  /** an alert annotation's text */
  text: 'text',
} as const;

/** A field of a stored prediction, alert or sample, checked against the contract's record types. */
const predictionField = <K extends keyof Prediction & string>(k: K): K => k;
const alertField = <K extends keyof Alert & string>(k: K): K => k;
const sampleField = <K extends keyof LabelledSample & string>(k: K): K => k;

const STATE = predictionField('state');
const RAW_STATE = predictionField('raw_state');
const SEQ = predictionField('seq');
const MODEL_VERSION = predictionField('model_version');

const FROM = 'from(bucket: v.defaultBucket)';
const RANGE = '  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)';
/**
 * The fleet's "now" panels look back DASHBOARD_LOOKBACK_MS whatever the time picker says, as the
 * built-in fleet view does: a pump silent for an hour is what the age panel is for.
 */
const LOOKBACK = `  |> range(start: -${DASHBOARD_LOOKBACK_MS}ms)`;
const WINDOW_NS = 'float(v: int(v: v.windowPeriod))';
/** `r.pump_id == "${pump_id}"`, as Grafana will fill it in */
const THIS_PUMP = `r[${fluxString(TAG)}] == "\${${PUMP_VARIABLE}}"`;

function fieldIn(fields: readonly string[]): string {
  return `(${fields.map((f) => is('_field', f)).join(' or ')})`;
}

function measurement(name: string, ...more: string[]): string {
  return `  |> filter(fn: (r) => ${[is('_measurement', name), ...more].join(' and ')})`;
}

function perSecond(column: string): string {
  return `float(v: r[${fluxString(column)}]) / (${WINDOW_NS} / 1000000000.0)`;
}

/**
 * Fleet: how many pumps were in each smoothed state, per window: each pump's last state in the window,
 * counted per state. One row per window, a column per state (HEALTHY, …), null where none was.
 */
export function fleetStateCountsFlux(): string {
  return [
    FROM,
    RANGE,
    measurement(PREDICTION_MEASUREMENT, is('_field', STATE)),
    '  |> aggregateWindow(every: v.windowPeriod, fn: last, createEmpty: false)',
    `  |> duplicate(column: "_value", as: ${fluxString(STATE)})`,
    `  |> group(columns: ${fluxStrings(['_time', STATE])})`,
    '  |> count()',
    '  |> group()',
    `  |> pivot(rowKey: ["_time"], columnKey: ${fluxStrings([STATE])}, valueColumn: "_value")`,
    '  |> sort(columns: ["_time"])',
  ].join('\n');
}

/** The prediction columns the fleet's alarm table shows; each is in every prediction point. */
export const ALARM_TABLE_COLUMNS = [
  TAG,
  STATE,
  RAW_STATE,
  predictionField('vibration_rms'),
  predictionField('iso_zone'),
  MODEL_VERSION,
] as const;

/** Fleet: the pumps whose latest prediction is in an alarm state (FAULTY, BROKEN), one row each. */
export function pumpsInAlarmFlux(): string {
  const fields = ALARM_TABLE_COLUMNS.filter((c) => c !== TAG);
  return [
    FROM,
    LOOKBACK,
    measurement(PREDICTION_MEASUREMENT, fieldIn(fields)),
    // every field of a prediction is written at once, so the fields' last points share one time
    '  |> last()',
    PIVOT,
    `  |> filter(fn: (r) => ${ALARM_STATES.map((s) => is(STATE, s)).join(' or ')})`,
    `  |> keep(columns: ${fluxStrings(['_time', ...ALARM_TABLE_COLUMNS])})`,
    '  |> group()',
    `  |> sort(columns: ${fluxStrings([TAG])})`,
  ].join('\n');
}

/** Fleet: every alert in the range, one table per pump, `kind` the value (alarm, recovered, rul_low). */
export function alertTimelineFlux(): string {
  return [
    FROM,
    RANGE,
    measurement(ALERT_MEASUREMENT, is('_field', alertField('seq'))),
    `  |> keep(columns: ${fluxStrings(['_time', TAG, ALERT_KIND_TAG])})`,
    `  |> group(columns: ${fluxStrings([TAG])})`,
    '  |> sort(columns: ["_time"])',
  ].join('\n');
}

/** Fleet: per pump, when its last prediction was and how many seconds ago (age_s), the oldest first. */
export function lastPredictionAgeFlux(): string {
  return [
    FROM,
    LOOKBACK,
    measurement(PREDICTION_MEASUREMENT, is('_field', SEQ)),
    '  |> last()',
    `  |> map(fn: (r) => ({ r with ${GRAFANA_COLUMNS.ageS}: float(v: int(v: now()) - int(v: r._time)) / 1000000000.0 }))`,
    `  |> keep(columns: ${fluxStrings(['_time', TAG, GRAFANA_COLUMNS.ageS])})`,
    '  |> group()',
    `  |> sort(columns: ${fluxStrings([GRAFANA_COLUMNS.ageS])}, desc: true)`,
  ].join('\n');
}

/** The Pump dashboard's variable: every pump with a prediction in the lookback, one `_value` each. */
export function pumpIdsFlux(): string {
  return [
    FROM,
    LOOKBACK,
    measurement(PREDICTION_MEASUREMENT, is('_field', SEQ)),
    '  |> last()',
    `  |> keep(columns: ${fluxStrings([TAG])})`,
    '  |> group()',
    `  |> distinct(column: ${fluxString(TAG)})`,
    '  |> sort()',
  ].join('\n');
}

/** Pump: one channel's mean per window; one table whose series is named by `_field`, the channel. */
export function pumpChannelFlux(channel: Channel): string {
  return windowed(MEASUREMENT, [channel], 'mean');
}

/** Pump: the smoothed (`state`) and raw (`raw_state`) predictions, each window's last. */
export function pumpStatesFlux(): string {
  return windowed(PREDICTION_MEASUREMENT, [STATE, RAW_STATE], 'last');
}

/** Pump: the class probabilities, a series per stored p_<state> field. */
export function pumpProbabilitiesFlux(): string {
  return windowed(
    PREDICTION_MEASUREMENT,
    PUMP_STATES.map((s) => PROBABILITY_FIELDS[s]),
    'mean',
  );
}

/** Pump: the remaining useful life in hours, from predictions made while a RUL model served. */
export function pumpRulFlux(): string {
  return windowed(PREDICTION_MEASUREMENT, [RUL_FIELD], 'mean');
}

function windowed(name: string, fields: readonly string[], fn: 'mean' | 'last'): string {
  return [
    FROM,
    RANGE,
    measurement(name, THIS_PUMP, fieldIn(fields)),
    `  |> aggregateWindow(every: v.windowPeriod, fn: ${fn}, createEmpty: false)`,
    '  |> keep(columns: ["_time", "_value", "_field"])',
  ].join('\n');
}

/** Pump: its alerts as annotations: time, kind (the annotation's tag) and a text. */
export function pumpAlertsFlux(): string {
  const state = alertField('state');
  const previous = alertField('previous_state');
  return [
    FROM,
    RANGE,
    measurement(ALERT_MEASUREMENT, THIS_PUMP, fieldIn([state, previous])),
    PIVOT,
    `  |> map(fn: (r) => ({ _time: r._time, ${ALERT_KIND_TAG}: r[${fluxString(ALERT_KIND_TAG)}], ${GRAFANA_COLUMNS.text}: r[${fluxString(ALERT_KIND_TAG)}] + ": " + r[${fluxString(previous)}] + " → " + r[${fluxString(state)}] }))`,
    '  |> group()',
    '  |> sort(columns: ["_time"])',
  ].join('\n');
}

/**
 * Pipeline: samples stored per second over the fleet: per pump and window a count, summed per window,
 * divided by the window. The first and last windows are cut by the range, so they read low.
 */
export function samplesPerSecondFlux(): string {
  return [
    FROM,
    RANGE,
    measurement(MEASUREMENT, is('_field', sampleField('seq'))),
    '  |> aggregateWindow(every: v.windowPeriod, fn: count, createEmpty: false)',
    '  |> group(columns: ["_time"])',
    '  |> sum()',
    '  |> group()',
    `  |> map(fn: (r) => ({ _time: r._time, ${GRAFANA_COLUMNS.samplesPerS}: ${perSecond('_value')} }))`,
    '  |> sort(columns: ["_time"])',
  ].join('\n');
}

/** Model: predictions made per second, by smoothed state: one row per window, a column per state. */
export function predictionsPerSecondFlux(): string {
  return [
    FROM,
    RANGE,
    measurement(PREDICTION_MEASUREMENT, is('_field', STATE)),
    `  |> duplicate(column: "_value", as: ${fluxString(STATE)})`,
    `  |> group(columns: ${fluxStrings([TAG, STATE])})`,
    '  |> aggregateWindow(every: v.windowPeriod, fn: count, createEmpty: false)',
    `  |> group(columns: ${fluxStrings(['_time', STATE])})`,
    '  |> sum()',
    '  |> group()',
    `  |> map(fn: (r) => ({ _time: r._time, ${STATE}: r[${fluxString(STATE)}], _value: ${perSecond('_value')} }))`,
    `  |> pivot(rowKey: ["_time"], columnKey: ${fluxStrings([STATE])}, valueColumn: "_value")`,
    '  |> sort(columns: ["_time"])',
  ].join('\n');
}

/** Model: the model version that served, per window (the last one seen in it), as `model_version`. */
export function modelVersionFlux(): string {
  return [
    FROM,
    RANGE,
    measurement(PREDICTION_MEASUREMENT, is('_field', MODEL_VERSION)),
    '  |> aggregateWindow(every: v.windowPeriod, fn: last, createEmpty: false)',
    '  |> group(columns: ["_time"])',
    '  |> last()',
    '  |> group()',
    `  |> map(fn: (r) => ({ _time: r._time, ${MODEL_VERSION}: r._value }))`,
    '  |> sort(columns: ["_time"])',
  ].join('\n');
}

/**
 * Model: live accuracy, the share of predictions whose smoothed state equals the ground truth stored
 * with the same pump's sample at the same device time (a labelled sample's `state` field), per window.
 * Predictions of samples without ground truth do not count.
 */
export function liveAccuracyFlux(): string {
  const truth = sampleField('state');
  const predicted = `r[${fluxString(PREDICTION_MEASUREMENT)}]`;
  const actual = `r[${fluxString(MEASUREMENT)}]`;
  return [
    FROM,
    RANGE,
    `  |> filter(fn: (r) => ((${is('_measurement', PREDICTION_MEASUREMENT)} and ${is('_field', STATE)}) or (${is('_measurement', MEASUREMENT)} and ${is('_field', truth)})))`,
    // both measurements of a pump in one table, so that pivot puts a prediction beside its sample;
    // _start and _stop stay in the key, as aggregateWindow below reads them
    `  |> group(columns: ${fluxStrings(['_start', '_stop', TAG])})`,
    '  |> pivot(rowKey: ["_time"], columnKey: ["_measurement"], valueColumn: "_value")',
    `  |> filter(fn: (r) => exists ${predicted} and exists ${actual})`,
    `  |> map(fn: (r) => ({ r with _value: if ${predicted} == ${actual} then 1.0 else 0.0 }))`,
    '  |> group()',
    '  |> sort(columns: ["_time"])',
    '  |> aggregateWindow(every: v.windowPeriod, fn: mean, createEmpty: false)',
    `  |> map(fn: (r) => ({ _time: r._time, ${GRAFANA_COLUMNS.accuracy}: r._value }))`,
  ].join('\n');
}

/** Every query of the dashboards, for the tests that run them all. */
export const GRAFANA_QUERIES: readonly string[] = [
  fleetStateCountsFlux(),
  pumpsInAlarmFlux(),
  alertTimelineFlux(),
  lastPredictionAgeFlux(),
  pumpIdsFlux(),
  ...CHANNELS.map(pumpChannelFlux),
  pumpStatesFlux(),
  pumpProbabilitiesFlux(),
  pumpRulFlux(),
  pumpAlertsFlux(),
  samplesPerSecondFlux(),
  predictionsPerSecondFlux(),
  modelVersionFlux(),
  liveAccuracyFlux(),
];
