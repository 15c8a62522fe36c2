import { CHANNELS } from '@pdm/contract/channels';
import { describe, expect, it } from 'vitest';
import type { PredictionRow, SeriesPoint, SeriesResponse } from '../../src/api/contract.ts';
import {
  appendPrediction,
  appendSample,
  channelDataFrom,
  resolveRange,
  stateDataFrom,
  trimChannels,
  trimStates,
} from './pump-data.ts';

const values = {
  vibration_x: 1,
  vibration_y: 1,
  vibration_z: 1,
  vibration_rms: 1,
  temperature: 50,
  pressure: 6,
  flow: 100,
  current: 50,
  rpm: 2950,
};

function series(t: number[]): SeriesResponse {
  const channels = Object.fromEntries(
    CHANNELS.map((c) => [c, t.map(() => 1)]),
  ) as unknown as SeriesResponse['min'];
  return {
    pumpId: 'p',
    from: 0,
    to: 10_000,
    bucketMs: 0,
    t,
    min: channels,
    max: channels,
    isoClass: '10816-3-group2-flexible',
    isoBounds: [2.3, 4.5, 7.1],
  };
}

function prediction(ts: number): PredictionRow {
  return {
    pumpId: 'p',
    ts,
    seq: 1,
    state: 'FAULTY',
    rawState: 'WARNING',
    probabilities: { FAULTY: 0.6, WARNING: 0.4 },
    vibrationRms: 5,
    isoZone: 'C',
    modelVersion: 'v1',
    latencyMs: 2,
  };
}

describe('resolveRange', () => {
  it('is live over the last 15 minutes unless asked otherwise', () => {
    expect(resolveRange(new URLSearchParams(''), 1_000_000_000)).toEqual({
      kind: 'live',
      from: 1_000_000_000 - 900_000,
      to: 1_000_000_000,
      live: true,
    });
    expect(resolveRange(new URLSearchParams('range=7d'), 1e12)).toMatchObject({
      from: 1e12 - 7 * 86_400_000,
      live: false,
    });
  });

  it('passes a custom range on as typed, so that the server can say what is wrong with it', () => {
    expect(resolveRange(new URLSearchParams('range=custom&from=5&to=tomorrow'), 0)).toEqual({
      kind: 'custom',
      from: 5,
      to: 'tomorrow',
      live: false,
    });
  });
});

describe('the live columns', () => {
  it('append only points newer than the last, so that a fetched or redelivered point is not drawn twice', () => {
    const data = channelDataFrom(series([1000, 2000]));
    const point = (t: number): SeriesPoint => ({ t, values: { ...values, temperature: t } });
    expect(appendSample(data, point(2000))).toBe(false);
    expect(appendSample(data, point(3000))).toBe(true);
    expect(data.t).toEqual([1000, 2000, 3000]);
    expect(data.max.temperature[2]).toBe(3000);
    expect(data.min.temperature[2]).toBe(3000);
  });

  it('append predictions as state indices, probabilities (absent classes as 0) and the RUL', () => {
    const data = stateDataFrom({
      pumpId: 'p',
      from: 0,
      to: 1,
      bucketMs: 0,
      t: [],
      state: [],
      rawState: [],
      probabilities: { HEALTHY: [], WARNING: [], FAULTY: [], BROKEN: [] },
      rulH: [],
      alerts: [],
    });
    expect(appendPrediction(data, prediction(5000))).toBe(true);
    expect(appendPrediction(data, prediction(5000))).toBe(false);
    expect(appendPrediction(data, { ...prediction(6000), rulH: 3.5 })).toBe(true);
    expect(data.state).toEqual([2, 2]);
    expect(data.rawState).toEqual([1, 1]);
    expect(data.probabilities.HEALTHY).toEqual([0, 0]);
    expect(data.probabilities.FAULTY).toEqual([0.6, 0.6]);
    // a prediction made with no RUL model leaves a gap in the RUL line
    expect(data.rulH).toEqual([null, 3.5]);
  });

  it('drop what falls out of the window, in every column', () => {
    const data = channelDataFrom(series([1000, 2000, 3000]));
    trimChannels(data, 2000);
    expect(data.t).toEqual([2000, 3000]);
    expect(data.max.rpm).toHaveLength(2);
    const states = stateDataFrom({
      pumpId: 'p',
      from: 0,
      to: 1,
      bucketMs: 0,
      t: [1, 2, 3],
      state: [0, 1, 2],
      rawState: [0, 1, 2],
      probabilities: { HEALTHY: [1, 1, 1], WARNING: [0, 0, 0], FAULTY: [0, 0, 0], BROKEN: [0, 0, 0] },
      rulH: [9, 8, 7],
      alerts: [],
    });
    trimStates(states, 3);
    expect(states.state).toEqual([2]);
    expect(states.rulH).toEqual([7]);
    expect(states.probabilities.HEALTHY).toEqual([1]);
  });
});
