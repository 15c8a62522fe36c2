import { describe, expect, it } from 'vitest';
import type { FleetDelta, FleetResponse, PumpTile } from '../../src/api/contract.ts';
import type { TileState } from '../../src/api/tile-states.ts';
import { emptyCounts, FleetModel } from './fleet-model.ts';

function tile(id: string, state: TileState, risk: number, rulH: number | null = null): PumpTile {
  return {
    id,
    tile: state,
    state: state === 'STALE' || state === 'OFFLINE' ? 'HEALTHY' : state,
    rawState: 'HEALTHY',
    risk,
    ts: 1000,
    seenAt: 1000,
    vibrationRms: 1,
    isoZone: 'A',
    modelVersion: 'v1',
    rulH,
  };
}

function snapshot(pumps: PumpTile[]): FleetResponse {
  return {
    generatedAt: 1000,
    staleAfterMs: 30_000,
    offlineAfterMs: 300_000,
    counts: emptyCounts(),
    total: pumps.length,
    pumps,
  };
}

function delta(tiles: FleetDelta['tiles']): FleetDelta {
  return { generatedAt: 2000, counts: emptyCounts(), total: 0, tiles };
}

const ids = (model: FleetModel) => model.shown.map((r) => r.id);

describe('FleetModel', () => {
  const fleet = [tile('p-3', 'FAULTY', 0.7), tile('p-1', 'HEALTHY', 0.01), tile('p-2', 'BROKEN', 0.95)];

  it('shows the riskiest pump first, or in id order', () => {
    const model = new FleetModel();
    model.load(snapshot(fleet));
    expect(ids(model)).toEqual(['p-2', 'p-3', 'p-1']);
    model.setFilter({ pattern: '', states: new Set(), sort: 'id' });
    expect(ids(model)).toEqual(['p-1', 'p-2', 'p-3']);
  });

  it('filters by id glob and by tile state', () => {
    const model = new FleetModel();
    model.load(snapshot([...fleet, tile('q-1', 'FAULTY', 0.5)]));
    model.setFilter({ pattern: 'p-*', states: new Set(['FAULTY', 'BROKEN']), sort: 'id' });
    expect(ids(model)).toEqual(['p-2', 'p-3']);
  });

  it('updates a shown tile in place, without reordering, when its state changes within the filter', () => {
    const model = new FleetModel();
    model.load(snapshot(fleet));
    const effect = model.applyDelta(delta([['p-1', 'BROKEN', 0.99, 3000]]));
    expect(effect.membership).toBe(false);
    expect(effect.changed.map((r) => r.id)).toEqual(['p-1']);
    expect(ids(model)).toEqual(['p-2', 'p-3', 'p-1']);
    expect(model.get('p-1')).toMatchObject({ tile: 'BROKEN', risk: 0.99, ts: 3000, state: 'BROKEN' });
    model.order();
    expect(ids(model)).toEqual(['p-1', 'p-2', 'p-3']);
  });

  it('reorders when a pump leaves or enters the filtered set, or is new', () => {
    const model = new FleetModel();
    model.load(snapshot(fleet));
    model.setFilter({ pattern: '', states: new Set(['FAULTY']), sort: 'id' });
    expect(model.applyDelta(delta([['p-3', 'HEALTHY', 0.1, 3000]])).membership).toBe(true);
    expect(ids(model)).toEqual([]);
    expect(model.applyDelta(delta([['p-9', 'FAULTY', 0.6, 3000]])).membership).toBe(true);
    expect(ids(model)).toEqual(['p-9']);
  });

  it('keeps the last known state of a pump that went stale', () => {
    const model = new FleetModel();
    model.load(snapshot(fleet));
    model.applyDelta(delta([['p-3', 'STALE', 0.7, 1000]]));
    expect(model.get('p-3')).toMatchObject({ tile: 'STALE', state: 'FAULTY' });
  });

  it('keeps each pump’s remaining useful life from the snapshot and the deltas, and none once a delta has none', () => {
    const model = new FleetModel();
    model.load(snapshot([tile('p-1', 'WARNING', 0.2, 41.5), tile('p-2', 'HEALTHY', 0)]));
    expect(model.get('p-1')?.rulH).toBe(41.5);
    expect(model.get('p-2')?.rulH).toBeUndefined();
    model.applyDelta(delta([['p-2', 'WARNING', 0.3, 3000, 12]]));
    expect(model.get('p-2')?.rulH).toBe(12);
    // the RUL model stopped serving
    model.applyDelta(delta([['p-1', 'FAULTY', 0.6, 3000]]));
    expect(model.get('p-1')?.rulH).toBeUndefined();
  });

  it('takes the counts and total from the server, for the whole fleet', () => {
    const model = new FleetModel();
    model.load(snapshot(fleet));
    model.setFilter({ pattern: 'nothing', states: new Set(), sort: 'risk' });
    model.applyDelta({ ...delta([]), counts: { ...emptyCounts(), HEALTHY: 7 }, total: 7 });
    expect(model.counts.HEALTHY).toBe(7);
    expect(model.total).toBe(7);
  });
});
