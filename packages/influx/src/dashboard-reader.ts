/**
 * The dashboard's reads of InfluxDB: each question of dashboard-queries.ts run through streamFlux, its
 * rows decoded into the contract's own shapes (Prediction, Alert) and streamed.
 */
import {
  type Alert,
  type AlertFilter,
  alertSchema,
  type Channel,
  ISO_ZONES,
  type ModelVersionSeen,
  PROBABILITY_FIELDS,
  type Prediction,
  PUMP_STATES,
} from '@pdm/contract';
import { type Column, RowCells } from './cells.ts';
import {
  alertsFlux,
  lastPredictionsFlux,
  latestPredictionsFlux,
  modelVersionSeenFlux,
  OPEN_ALERT_KINDS,
  openAlarmsFlux,
  predictionsFlux,
  samplesFlux,
} from './dashboard-queries.ts';
import { ALERT_KIND_TAG, RUL_FIELD, RUL_MODEL_VERSION_FIELD, TAG } from './line-protocol.ts';
import { type InfluxReaderOptions, type RowDecoder, type StreamFluxOptions, streamFlux } from './query.ts';

export interface DashboardReadOptions extends StreamFluxOptions {
  /** the epoch ms the lookbacks count back from; Date.now() by default */
  readonly nowMs?: number;
}

/** One stored sample: device time, then the channels in the order asked for. */
export type SampleValues = readonly [ts: number, ...values: number[]];

// The functions below return streamFlux's iterable itself rather than wrap it in a generator of their
// own: a 24 h chart is 86,400 rows, and each generator layer costs every row a few microtasks. So an
// argument the query builders refuse (InfluxError `invalid_argument`) throws at the call.

/** One pump's samples in [fromMs, toMs), ascending; nothing is asked for an empty range. */
export function querySamples(
  target: InfluxReaderOptions,
  query: { pumpId: string; fromMs: number; toMs: number; channels: readonly Channel[] },
  options: DashboardReadOptions = {},
): AsyncIterable<SampleValues> {
  if (query.fromMs >= query.toMs) return nothing();
  return streamFlux(target, samplesFlux(target.bucket, query), samplesDecoder(query.channels), options);
}

/** One pump's predictions in [fromMs, toMs), ascending; nothing is asked for an empty range. */
export function queryPredictions(
  target: InfluxReaderOptions,
  query: { pumpId: string; fromMs: number; toMs: number },
  options: DashboardReadOptions = {},
): AsyncIterable<Prediction> {
  if (query.fromMs >= query.toMs) return nothing();
  return streamFlux(target, predictionsFlux(target.bucket, query), predictionDecoder, options);
}

/** One pump's last `limit` predictions before `beforeMs`, newest first (lookback: DASHBOARD_LOOKBACK_MS). */
export function queryLastPredictions(
  target: InfluxReaderOptions,
  query: { pumpId: string; beforeMs: number; limit: number },
  options: DashboardReadOptions = {},
): AsyncIterable<Prediction> {
  if (query.limit < 1) return nothing();
  return streamFlux(target, lastPredictionsFlux(target.bucket, query), predictionDecoder, options);
}

/** The last prediction of every pump heard from within DASHBOARD_LOOKBACK_MS, in no particular order. */
export function queryLatestPredictions(
  target: InfluxReaderOptions,
  options: DashboardReadOptions = {},
): AsyncIterable<Prediction> {
  const flux = latestPredictionsFlux(target.bucket, { nowMs: options.nowMs ?? Date.now() });
  return streamFlux(target, flux, predictionDecoder, options);
}

/** Alerts matching the query, newest first; nothing is asked for an empty range or a limit below 1. */
export function queryAlerts(
  target: InfluxReaderOptions,
  query: AlertFilter,
  options: DashboardReadOptions = {},
): AsyncIterable<Alert> {
  const emptyRange = query.fromMs !== undefined && query.toMs !== undefined && query.fromMs >= query.toMs;
  if (query.limit < 1 || emptyRange) return nothing();
  return streamFlux(target, alertsFlux(target.bucket, query), alertDecoder, options);
}

/**
 * What is open, newest first (ties by pump id, descending): per pump, its latest alarm and its latest
 * rul_low, each unless a recovery came after it.
 */
export async function* queryOpenAlarms(
  target: InfluxReaderOptions,
  options: DashboardReadOptions = {},
): AsyncIterable<Alert> {
  const [alarms, rulLow] = await Promise.all(
    OPEN_ALERT_KINDS.map(async (kind) => {
      const open: Alert[] = [];
      for await (const a of streamFlux(target, openAlarmsFlux(target.bucket, kind), alertDecoder, options))
        open.push(a);
      return open;
    }),
  );
  // One row per pump and kind: a few thousand at most, merged here rather than in Flux (union() of two
  // pipelines), which keeps each query one pipeline that Grafana can reuse as it is.
  yield* [...(alarms ?? []), ...(rulLow ?? [])].sort(
    (a, b) => b.ts - a.ts || (a.pump_id < b.pump_id ? 1 : a.pump_id > b.pump_id ? -1 : 0),
  );
}

/** Model versions seen in the predictions within DASHBOARD_LOOKBACK_MS, oldest (first seen) first. */
export async function queryModelVersions(
  target: InfluxReaderOptions,
  options: DashboardReadOptions = {},
): Promise<ModelVersionSeen[]> {
  const nowMs = options.nowMs ?? Date.now();
  const edge = async (edge: 'min' | 'max') => {
    const seen = new Map<string, number>();
    const flux = modelVersionSeenFlux(target.bucket, { edge, nowMs });
    for await (const [version, at] of streamFlux(target, flux, versionDecoder, options))
      seen.set(version, at);
    return seen;
  };
  const [first, last] = await Promise.all([edge('min'), edge('max')]);
  // A version that first appears between the two queries is in one of them only.
  const versions = new Set([...first.keys(), ...last.keys()]);
  return [...versions]
    .map((version) => {
      const firstSeen = first.get(version) ?? (last.get(version) as number);
      return { version, firstSeen, lastSeen: last.get(version) ?? firstSeen };
    })
    .sort((a, b) => a.firstSeen - b.firstSeen || (a.version < b.version ? -1 : 1));
}

function samplesDecoder(
  channels: readonly Channel[],
): (labels: readonly string[]) => RowDecoder<SampleValues> {
  return (labels) => {
    const cells = new RowCells(labels);
    const time = cells.column('_time');
    const columns = channels.map((c) => cells.column(c));
    return (values) => {
      cells.row(values);
      const row: [number, ...number[]] = [cells.time(time)];
      for (const column of columns) row.push(cells.requiredNumber(column));
      return row;
    };
  };
}

function predictionDecoder(labels: readonly string[]): RowDecoder<Prediction> {
  const cells = new RowCells(labels);
  const time = cells.column('_time');
  const pump = cells.column(TAG);
  const seq = cells.column('seq');
  const state = cells.column('state');
  const rawState = cells.column('raw_state');
  // a model knows some classes only: the others have no field, or a null cell after a pivot
  const probabilities = PUMP_STATES.map((s) => [s, cells.column(PROBABILITY_FIELDS[s])] as const).filter(
    ([, column]) => column.index >= 0,
  );
  const vibrationRms = cells.column('vibration_rms');
  const isoZone = cells.column('iso_zone');
  const modelVersion = cells.column('model_version');
  const latencyMs = cells.column('latency_ms');
  const rul = cells.column(RUL_FIELD);
  const rulVersion = cells.column(RUL_MODEL_VERSION_FIELD);
  return (values) => {
    cells.row(values);
    const known: Prediction['probabilities'] = {};
    for (const [s, column] of probabilities) {
      const p = cells.number(column);
      if (p !== undefined) known[s] = p;
    }
    const prediction: Prediction = {
      pump_id: cells.requiredText(pump),
      ts: cells.time(time),
      seq: cells.requiredNumber(seq),
      state: cells.member(PUMP_STATES, state),
      raw_state: cells.member(PUMP_STATES, rawState),
      probabilities: known,
      vibration_rms: cells.requiredNumber(vibrationRms),
      iso_zone: cells.member(ISO_ZONES, isoZone),
      model_version: cells.requiredText(modelVersion),
      latency_ms: cells.requiredNumber(latencyMs),
    };
    // Present only where a RUL model served, as in the message that came in.
    const rulH = cells.number(rul);
    if (rulH !== undefined) prediction.rul_h = rulH;
    const rulModelVersion = cells.text(rulVersion);
    if (rulModelVersion !== undefined) prediction.rul_model_version = rulModelVersion;
    return prediction;
  };
}

const ALERT_KINDS = alertSchema.shape.kind.options;
const evidenceSchema = alertSchema.shape.evidence;

function alertDecoder(labels: readonly string[]): RowDecoder<Alert> {
  const cells = new RowCells(labels);
  const time = cells.column('_time');
  const pump = cells.column(TAG);
  const kind = cells.column(ALERT_KIND_TAG);
  const seq = cells.column('seq');
  const state = cells.column('state');
  const previousState = cells.column('previous_state');
  const modelVersion = cells.column('model_version');
  const evidence = cells.column('evidence');
  return (values) => {
    cells.row(values);
    return {
      pump_id: cells.requiredText(pump),
      ts: cells.time(time),
      seq: cells.requiredNumber(seq),
      kind: cells.member(ALERT_KINDS, kind),
      state: cells.member(PUMP_STATES, state),
      previous_state: cells.member(PUMP_STATES, previousState),
      model_version: cells.requiredText(modelVersion),
      evidence: decodeEvidence(cells, evidence),
    };
  };
}

function decodeEvidence(cells: RowCells, column: Column): Alert['evidence'] {
  const text = cells.requiredText(column);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return cells.fail(`has evidence that is not JSON: ${text.slice(0, 200)}`);
  }
  const parsed = evidenceSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return cells.fail(`has evidence unlike the contract's: ${issue?.path.join('.')} ${issue?.message}`);
}

function versionDecoder(labels: readonly string[]): RowDecoder<readonly [version: string, at: number]> {
  const cells = new RowCells(labels);
  const version = cells.column('_value');
  const time = cells.column('_time');
  return (values) => {
    cells.row(values);
    return [cells.requiredText(version), cells.time(time)];
  };
}

async function* nothing<T>(): AsyncIterable<T> {}
