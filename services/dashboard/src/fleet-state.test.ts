import type { Prediction, PumpState } from '@pdm/contract';
import { describe, expect, it } from 'vitest';
import { FleetState, globMatcher } from './fleet-state.ts';

const T0 = 1_780_000_000_000;

function prediction(pumpId: string, ts: number, state: PumpState, risk = 0): Prediction {
  return {
    pump_id: pumpId,
    ts,
    seq: ts / 1000,
    state,
    raw_state: state,
    probabilities: { HEALTHY: 1 - risk, FAULTY: risk / 2, BROKEN: risk / 2 },
    vibration_rms: 2,
    iso_zone: 'A',
    model_version: 'm1',
    latency_ms: 1,
  };
}

const fleetOf = (maxPumps = 100) =>
  new FleetState({ staleAfterMs: 30_000, offlineAfterMs: 300_000, maxPumps });

describe('FleetState', () => {
  it('shows each pump by its smoothed state, then STALE and OFFLINE as its last prediction ages', () => {
    const fleet = fleetOf();
    fleet.apply(prediction('p1', T0, 'WARNING'), T0);
    const tile = (now: number) => fleet.snapshot({ sort: 'id' }, now).pumps[0]?.tile;
    expect(tile(T0 + 29_999)).toBe('WARNING');
    expect(tile(T0 + 30_000)).toBe('STALE');
    expect(tile(T0 + 300_000)).toBe('OFFLINE');
  });

  it('counts every tile state over the whole fleet, also when the list is filtered', () => {
    const fleet = fleetOf();
    fleet.apply(prediction('a-1', T0, 'HEALTHY'), T0);
    fleet.apply(prediction('a-2', T0, 'FAULTY', 0.9), T0);
    fleet.apply(prediction('b-1', T0, 'BROKEN', 1), T0 - 60_000);
    const snap = fleet.snapshot({ pattern: 'a-*', state: ['FAULTY'], sort: 'risk' }, T0);
    expect(snap.total).toBe(3);
    expect(snap.counts).toMatchObject({ HEALTHY: 1, FAULTY: 1, BROKEN: 0, STALE: 1, OFFLINE: 0 });
    expect(snap.pumps.map((p) => p.id)).toEqual(['a-2']);
  });

  it('sorts by risk, P(FAULTY) + P(BROKEN), highest first, then by id', () => {
    const fleet = fleetOf();
    fleet.apply(prediction('c', T0, 'HEALTHY', 0.1), T0);
    fleet.apply(prediction('a', T0, 'FAULTY', 0.8), T0);
    fleet.apply(prediction('b', T0, 'HEALTHY', 0.1), T0);
    const snap = fleet.snapshot({ sort: 'risk' }, T0);
    expect(snap.pumps.map((p) => [p.id, p.risk])).toEqual([
      ['a', 0.8],
      ['b', 0.1],
      ['c', 0.1],
    ]);
    expect(fleet.snapshot({ sort: 'id' }, T0).pumps.map((p) => p.id)).toEqual(['a', 'b', 'c']);
  });

  it('ignores a redelivered or older prediction of a live pump', () => {
    const fleet = fleetOf();
    expect(fleet.apply(prediction('p', T0 + 1000, 'FAULTY'), T0)).toBe('applied');
    expect(fleet.apply(prediction('p', T0, 'HEALTHY'), T0 + 1)).toBe('older');
    expect(fleet.snapshot({ sort: 'id' }, T0).pumps[0]?.state).toBe('FAULTY');
    // Once stale, a pump whose clock went back (a restarted simulator) is taken again.
    expect(fleet.apply(prediction('p', T0, 'HEALTHY'), T0 + 40_000)).toBe('applied');
  });

  it('refuses new pumps beyond its bound but keeps updating the ones it has', () => {
    const fleet = fleetOf(2);
    fleet.apply(prediction('p1', T0, 'HEALTHY'), T0);
    fleet.apply(prediction('p2', T0, 'HEALTHY'), T0);
    expect(fleet.apply(prediction('p3', T0, 'HEALTHY'), T0)).toBe('refused');
    expect(fleet.apply(prediction('p1', T0 + 1000, 'FAULTY'), T0)).toBe('applied');
    expect(fleet.size).toBe(2);
  });

  it('puts only changed tiles in a delta: a new state, a risk that moved, a pump gone stale', () => {
    const fleet = fleetOf();
    fleet.apply(prediction('p1', T0, 'HEALTHY', 0.1), T0);
    fleet.apply(prediction('p2', T0, 'HEALTHY', 0.1), T0);
    expect(fleet.takeDelta(T0)?.tiles.map((t) => t[0])).toEqual(['p1', 'p2']);
    expect(fleet.takeDelta(T0)).toBeUndefined();

    fleet.apply(prediction('p1', T0 + 1000, 'HEALTHY', 0.105), T0 + 1000); // risk moved < 0.01: not sent
    fleet.apply(prediction('p2', T0 + 1000, 'WARNING', 0.3), T0 + 1000);
    expect(fleet.takeDelta(T0 + 1000)?.tiles).toEqual([['p2', 'WARNING', 0.3, T0 + 1000]]);

    const later = T0 + 1000 + 30_000;
    fleet.apply(prediction('p2', later, 'WARNING', 0.3), later);
    const delta = fleet.takeDelta(later);
    expect(delta?.tiles).toEqual([['p1', 'STALE', 0.105, T0 + 1000]]);
    expect(delta?.counts).toMatchObject({ STALE: 1, WARNING: 1 });
  });

  it('carries each pump’s RUL in its tile, and sends a tile again when the RUL changes in two significant digits', () => {
    const fleet = fleetOf();
    const withRul = (ts: number, rulH: number) => ({
      ...prediction('p1', ts, 'WARNING', 0.2),
      rul_h: rulH,
      rul_model_version: 'rul1',
    });
    fleet.apply(withRul(T0, 12.34), T0);
    fleet.apply(prediction('p2', T0, 'HEALTHY'), T0);
    expect(fleet.snapshot({ sort: 'id' }, T0).pumps.map((p) => p.rulH)).toEqual([12.34, null]);
    // two significant digits in the delta; a pump without a RUL sends none
    expect(fleet.takeDelta(T0)?.tiles).toEqual([
      ['p1', 'WARNING', 0.2, T0, 12],
      ['p2', 'HEALTHY', 0, T0],
    ]);
    fleet.apply(withRul(T0 + 1000, 12.01), T0 + 1000); // still 12: not sent
    expect(fleet.takeDelta(T0 + 1000)).toBeUndefined();
    fleet.apply(withRul(T0 + 2000, 11.4), T0 + 2000);
    expect(fleet.takeDelta(T0 + 2000)?.tiles).toEqual([['p1', 'WARNING', 0.2, T0 + 2000, 11]]);
    // the RUL model stopped serving: the tile goes out without one
    fleet.apply(prediction('p1', T0 + 3000, 'WARNING', 0.2), T0 + 3000);
    expect(fleet.takeDelta(T0 + 3000)?.tiles).toEqual([['p1', 'WARNING', 0.2, T0 + 3000]]);
  });

  it('gives a new client every tile without disturbing what the next delta compares with', () => {
    const fleet = fleetOf();
    fleet.apply(prediction('p1', T0, 'HEALTHY'), T0);
    fleet.takeDelta(T0);
    expect(fleet.fullDelta(T0).tiles).toHaveLength(1);
    expect(fleet.takeDelta(T0)).toBeUndefined();
  });
});

describe('globMatcher', () => {
  it('matches * as any run and ? as one character, everything else literally and whole', () => {
    const m = globMatcher('pump-00?.*');
    expect(m('pump-001.a')).toBe(true);
    expect(m('pump-001.')).toBe(true);
    expect(m('pump-0012.a')).toBe(false);
    expect(m('pump-001xa')).toBe(false);
    expect(globMatcher('pump')('pump-1')).toBe(false);
    expect(globMatcher('*')('anything')).toBe(true);
  });
});
