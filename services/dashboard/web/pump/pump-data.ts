/**
 * A pump view's data as columns that the charts draw from: made from the API's answers, then, in live mode,
 * extended by the SSE samples and predictions and trimmed to the window. No DOM here.
 */
import { CHANNELS, type Channel } from '@pdm/contract/channels';
import { PUMP_STATES, type PumpState } from '@pdm/contract/states';
import type { PredictionRow, SeriesPoint, SeriesResponse, StatesResponse } from '../../src/api/contract.ts';
import type { ChannelData, StateData } from './charts.ts';

export const LIVE_WINDOW_MS = 15 * 60_000;

export const RANGES = {
  live: { label: 'live 15 min', ms: LIVE_WINDOW_MS },
  '1h': { label: '1 h', ms: 3_600_000 },
  '24h': { label: '24 h', ms: 86_400_000 },
  '7d': { label: '7 d', ms: 7 * 86_400_000 },
} as const;
export type RangeKind = keyof typeof RANGES | 'custom';

export interface PumpRange {
  readonly kind: RangeKind;
  /** epoch ms, or the query's text as typed for a custom range (the server says what is wrong with it) */
  readonly from: number | string;
  readonly to: number | string;
  readonly live: boolean;
}

/** The range a pump view's query asks for (`range=1h`, or `range=custom&from=…&to=…`), at `now`. */
export function resolveRange(query: URLSearchParams, now: number): PumpRange {
  const kind = query.get('range') ?? 'live';
  if (kind === 'custom') {
    const text = (key: string) => {
      const value = query.get(key) ?? '';
      return /^\d+$/.test(value) ? Number(value) : value;
    };
    return { kind, from: text('from'), to: text('to'), live: false };
  }
  const known = kind in RANGES ? (kind as keyof typeof RANGES) : 'live';
  return { kind: known, from: now - RANGES[known].ms, to: now, live: known === 'live' };
}

export function channelDataFrom(series: SeriesResponse): ChannelData {
  return {
    t: [...series.t],
    min: Object.fromEntries(CHANNELS.map((c) => [c, [...series.min[c]]])) as Record<Channel, number[]>,
    max: Object.fromEntries(CHANNELS.map((c) => [c, [...series.max[c]]])) as Record<Channel, number[]>,
  };
}

function stateIndex(state: PumpState): number {
  return PUMP_STATES.indexOf(state);
}

export function stateDataFrom(states: StatesResponse): StateData {
  return {
    t: [...states.t],
    state: [...states.state],
    rawState: [...states.rawState],
    probabilities: Object.fromEntries(PUMP_STATES.map((s) => [s, [...states.probabilities[s]]])) as Record<
      PumpState,
      (number | null)[]
    >,
    rulH: [...states.rulH],
    bucketMs: states.bucketMs,
  };
}

/** A live sample, appended unless it is not newer than the last point (a redelivery, or already fetched). */
export function appendSample(data: ChannelData, point: SeriesPoint): boolean {
  const last = data.t[data.t.length - 1];
  if (last !== undefined && point.t <= last) return false;
  data.t.push(point.t);
  for (const c of CHANNELS) {
    data.min[c].push(point.values[c]);
    data.max[c].push(point.values[c]);
  }
  return true;
}

export function appendPrediction(data: StateData, row: PredictionRow): boolean {
  const last = data.t[data.t.length - 1];
  if (last !== undefined && row.ts <= last) return false;
  data.t.push(row.ts);
  data.state.push(stateIndex(row.state));
  data.rawState.push(stateIndex(row.rawState));
  for (const s of PUMP_STATES) data.probabilities[s].push(row.probabilities[s] ?? 0);
  data.rulH.push(row.rulH ?? null);
  return true;
}

/** Index of the first time at or after `from` (the times ascend). */
function firstFrom(t: readonly number[], from: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((t[mid] as number) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Drops the points before `from`, in place (the live window moving on). */
export function trimChannels(data: ChannelData, from: number): void {
  const n = firstFrom(data.t, from);
  if (n === 0) return;
  data.t.splice(0, n);
  for (const c of CHANNELS) {
    data.min[c].splice(0, n);
    data.max[c].splice(0, n);
  }
}

export function trimStates(data: StateData, from: number): void {
  const n = firstFrom(data.t, from);
  if (n === 0) return;
  data.t.splice(0, n);
  data.state.splice(0, n);
  data.rawState.splice(0, n);
  for (const s of PUMP_STATES) data.probabilities[s].splice(0, n);
  data.rulH.splice(0, n);
}
