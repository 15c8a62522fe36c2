/** One pump's past for the pump view: the channels and the state timelines, downsampled, from History. */
import {
  CHANNELS,
  type Channel,
  DEFAULT_ISO_CLASS,
  ISO_MACHINE_CLASSES,
  type Prediction,
  PUMP_STATES,
  type PumpState,
} from '@pdm/contract';
import { MAX_POINTS, type SeriesResponse, type StatesResponse } from './api/contract.ts';
import { type Downsampled, downsample } from './downsample.ts';
import type { History } from './history/history.ts';
import { alertRow } from './rows.ts';

export interface Range {
  readonly fromMs: number;
  readonly toMs: number;
}

/** The fields a series and a timeline begin with. */
function head(pumpId: string, range: Range, d: Downsampled) {
  return { pumpId, from: range.fromMs, to: range.toMs, bucketMs: d.bucketMs, t: d.t };
}

/** Alerts marked on a timeline, at most. */
const TIMELINE_ALERTS = 1000;

export async function seriesOf(
  history: History,
  pumpId: string,
  range: Range,
  maxPoints = MAX_POINTS,
): Promise<SeriesResponse> {
  const rows = history.samples(pumpId, range.fromMs, range.toMs, CHANNELS);
  const d = await downsample(rows, range, CHANNELS.length, maxPoints);
  const min = {} as Record<Channel, number[]>;
  const max = {} as Record<Channel, number[]>;
  CHANNELS.forEach((channel, c) => {
    min[channel] = Array.from(d.min[c] as Float64Array);
    max[channel] = d.bucketMs === 0 ? min[channel] : Array.from(d.max[c] as Float64Array);
  });
  return {
    ...head(pumpId, range, d),
    min,
    max,
    isoClass: DEFAULT_ISO_CLASS,
    isoBounds: ISO_MACHINE_CLASSES[DEFAULT_ISO_CLASS],
  };
}

const STATE_INDEX = new Map<string, number>(PUMP_STATES.map((s, i) => [s, i]));

/** Columns of a prediction row after its time: the two states, each class's probability, the RUL. */
const PREDICTION_COLUMNS = 2 + PUMP_STATES.length + 1;
const RUL_COLUMN = PREDICTION_COLUMNS - 1;

/**
 * A prediction as a row for downsample(): time, smoothed and raw state as their index in PUMP_STATES (in
 * order of severity, so a bucket's max is its worst), then each class's probability, NaN where the model
 * gave none, then the RUL, NaN where none. One buffer serves every row: downsample() copies the values
 * out at once.
 */
function predictionRow(): (p: Prediction) => Float64Array {
  const row = new Float64Array(1 + PREDICTION_COLUMNS);
  return (p) => {
    row[0] = p.ts;
    row[1] = STATE_INDEX.get(p.state) as number;
    row[2] = STATE_INDEX.get(p.raw_state) as number;
    for (let s = 0; s < PUMP_STATES.length; s++) {
      row[3 + s] = p.probabilities[PUMP_STATES[s] as PumpState] ?? Number.NaN;
    }
    row[1 + RUL_COLUMN] = p.rul_h ?? Number.NaN;
    return row;
  };
}

export async function statesOf(
  history: History,
  pumpId: string,
  range: Range,
  maxPoints = MAX_POINTS,
): Promise<StatesResponse> {
  // One after the other: a SQLite connection runs one statement at a time, and the first is a stream.
  const d = await downsample(
    history.predictions(pumpId, range.fromMs, range.toMs),
    range,
    PREDICTION_COLUMNS,
    maxPoints,
    predictionRow(),
  );
  const alerts = await history.alerts({
    pumpId,
    fromMs: range.fromMs,
    toMs: range.toMs,
    limit: TIMELINE_ALERTS,
  });
  // The max of each column is what a timeline shows: the worst state, the highest probability.
  const column = (c: number): number[] =>
    Array.from(d.max[c] as Float64Array, (v) => (Number.isNaN(v) ? -1 : v));
  const probabilities = {} as Record<PumpState, (number | null)[]>;
  PUMP_STATES.forEach((state, s) => {
    probabilities[state] = Array.from(d.max[2 + s] as Float64Array, (v) => (Number.isNaN(v) ? null : v));
  });
  // The RUL's min: the most urgent moment of a bucket.
  const rulH = Array.from(d.min[RUL_COLUMN] as Float64Array, (v) => (Number.isNaN(v) ? null : v));
  return {
    ...head(pumpId, range, d),
    state: column(0),
    rawState: column(1),
    probabilities,
    rulH,
    alerts: alerts.map(alertRow),
  };
}
