import { describe, expect, it } from 'vitest';
import type { FleetDelta } from '../../src/api/contract.ts';
import { TILE_STATES } from '../../src/api/tile-states.ts';
import { PumpDictionary } from './compact-delta.ts';
import { emptyCounts } from './fleet-model.ts';

function delta(tiles: readonly (readonly [string, string, number, number])[]): FleetDelta {
  return { generatedAt: 5, counts: emptyCounts(), total: tiles.length, tiles: tiles as FleetDelta['tiles'] };
}

describe('PumpDictionary', () => {
  it('gives each pump an index once, and names only the new ones', () => {
    const dictionary = new PumpDictionary();
    const first = dictionary.compact(
      delta([
        ['a', 'HEALTHY', 0.1, 10],
        ['b', 'BROKEN', 0.9, 11],
      ]),
    );
    expect(first.newIds).toEqual(['a', 'b']);
    expect(first.firstNewIndex).toBe(0);
    expect([...first.index]).toEqual([0, 1]);
    const second = dictionary.compact(
      delta([
        ['b', 'FAULTY', 0.7, 12],
        ['c', 'STALE', 0.2, 9],
      ]),
    );
    expect(second.newIds).toEqual(['c']);
    expect(second.firstNewIndex).toBe(2);
    expect([...second.index]).toEqual([1, 2]);
    expect([...second.tile].map((t) => TILE_STATES[t])).toEqual(['FAULTY', 'STALE']);
    expect([...second.risk]).toEqual([0.7, 0.2]);
    expect([...second.ts]).toEqual([12, 9]);
  });

  it('leaves out a tile whose state it cannot name', () => {
    const compact = new PumpDictionary().compact(
      delta([
        ['a', 'EXPLODED', 1, 1],
        ['b', 'WARNING', 0.2, 2],
      ]),
    );
    expect(compact.newIds).toEqual(['b']);
    expect([...compact.index]).toEqual([0]);
    expect(compact.tile.length).toBe(1);
  });
});
