/**
 * Fleet deltas in the form the page's main thread applies them: typed arrays indexed through a dictionary of
 * pump ids that the SSE worker keeps. So 10,000 changed tiles a second cost the main thread no JSON parse
 * and no string per tile: the worker parses, and the arrays are handed over without a copy.
 */
import type { FleetDelta } from '../../src/api/contract.ts';
import { TILE_STATES, type TileState } from '../../src/api/tile-states.ts';

export interface CompactDelta {
  readonly generatedAt: number;
  readonly counts: Readonly<Record<TileState, number>>;
  readonly total: number;
  /** ids seen for the first time, which got the indices firstNewIndex, firstNewIndex + 1, … */
  readonly newIds: readonly string[];
  readonly firstNewIndex: number;
  /** per changed tile: the pump's index in the dictionary */
  readonly index: Uint32Array;
  /** per changed tile: its state's index in TILE_STATES */
  readonly tile: Uint8Array;
  readonly risk: Float64Array;
  readonly ts: Float64Array;
}

const TILE_INDEX: ReadonlyMap<string, number> = new Map(TILE_STATES.map((s, i) => [s, i]));

/** Pump ids by the index the worker gave them; grows as pumps appear, never reuses an index. */
export class PumpDictionary {
  private readonly indices = new Map<string, number>();

  compact(delta: FleetDelta): CompactDelta {
    const n = delta.tiles.length;
    const index = new Uint32Array(n);
    const tile = new Uint8Array(n);
    const risk = new Float64Array(n);
    const ts = new Float64Array(n);
    const newIds: string[] = [];
    const firstNewIndex = this.indices.size;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const [id, state, r, t] = delta.tiles[i] as FleetDelta['tiles'][number];
      const s = TILE_INDEX.get(state);
      // The server sends only TILE_STATES; a tile it cannot name is left out rather than drawn wrong.
      if (s === undefined) continue;
      let k = this.indices.get(id);
      if (k === undefined) {
        k = this.indices.size;
        this.indices.set(id, k);
        newIds.push(id);
      }
      index[kept] = k;
      tile[kept] = s;
      risk[kept] = r;
      ts[kept] = t;
      kept++;
    }
    return {
      generatedAt: delta.generatedAt,
      counts: delta.counts,
      total: delta.total,
      newIds,
      firstNewIndex,
      index: index.subarray(0, kept),
      tile: tile.subarray(0, kept),
      risk: risk.subarray(0, kept),
      ts: ts.subarray(0, kept),
    };
  }
}

/** The buffers to transfer (not copy) with a delta. */
export function transferablesOf(delta: CompactDelta): ArrayBuffer[] {
  return [delta.index.buffer, delta.tile.buffer, delta.risk.buffer, delta.ts.buffer] as ArrayBuffer[];
}

export function tileStateAt(i: number): TileState {
  return TILE_STATES[i] as TileState;
}
