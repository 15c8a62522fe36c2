/**
 * The fleet as the page holds it: every pump's tile, updated in place by the SSE deltas, and the pumps shown
 * (filtered by id glob and tile state, sorted by risk or id). No DOM here; the canvas draws what this says.
 */
import { PUMP_STATES, type PumpState } from '@pdm/contract/states';
import type { FleetDelta, FleetResponse } from '../../src/api/contract.ts';
import { TILE_STATES, type TileState } from '../../src/api/tile-states.ts';
import { globToRegExp } from '../glob.ts';

export interface TileRecord {
  readonly id: string;
  tile: TileState;
  /** P(FAULTY) + P(BROKEN) of the last prediction */
  risk: number;
  /** device time of the last prediction */
  ts: number;
  /** the last smoothed state, also while the tile is STALE or OFFLINE (unknown for a pump first seen stale) */
  state: PumpState | undefined;
  /** remaining useful life of the last prediction, hours (two significant digits in deltas); none without */
  rulH: number | undefined;
}

export type SortOrder = 'risk' | 'id';

export interface FleetFilter {
  readonly pattern: string;
  /** empty: every state */
  readonly states: ReadonlySet<TileState>;
  readonly sort: SortOrder;
}

export interface DeltaEffect {
  /** shown pumps whose tile changed, still at their place */
  readonly changed: readonly TileRecord[];
  /** a pump entered or left the shown set: the order must be computed again */
  readonly membership: boolean;
}

const PUMP_STATE_SET: ReadonlySet<string> = new Set(PUMP_STATES);

export function emptyCounts(): Record<TileState, number> {
  return Object.fromEntries(TILE_STATES.map((s) => [s, 0])) as Record<TileState, number>;
}

function byId(a: TileRecord, b: TileRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function byRisk(a: TileRecord, b: TileRecord): number {
  return b.risk - a.risk || byId(a, b);
}

export class FleetModel {
  private readonly records = new Map<string, TileRecord>();
  /** the shown pumps, in order */
  shown: TileRecord[] = [];
  /** per tile state over the whole fleet, as the server counts them */
  counts: Record<TileState, number> = emptyCounts();
  total = 0;
  /** server time of the last snapshot or delta */
  generatedAt = 0;
  private filter: FleetFilter = { pattern: '', states: new Set(), sort: 'risk' };
  private matcher = globToRegExp('');

  get(id: string): TileRecord | undefined {
    return this.records.get(id);
  }

  /** Replaces the whole fleet with a snapshot of GET /api/fleet. */
  load(snapshot: FleetResponse): void {
    this.records.clear();
    for (const p of snapshot.pumps) {
      this.records.set(p.id, {
        id: p.id,
        tile: p.tile,
        risk: p.risk,
        ts: p.ts,
        state: p.state,
        rulH: p.rulH ?? undefined,
      });
    }
    this.counts = { ...snapshot.counts };
    this.total = snapshot.total;
    this.generatedAt = snapshot.generatedAt;
    this.order();
  }

  applyDelta(delta: FleetDelta): DeltaEffect {
    const changed: TileRecord[] = [];
    let membership = false;
    // A hot path (10,000 tiles a second): indexed loops, and no matching at all while nothing is filtered.
    const filtered = this.isFiltered();
    const { tiles } = delta;
    for (let i = 0; i < tiles.length; i++) {
      const [id, tile, risk, ts, rulH] = tiles[i] as FleetDelta['tiles'][number];
      let record = this.records.get(id);
      const wasShown = record !== undefined && (!filtered || this.matches(record));
      if (record === undefined) {
        record = { id, tile, risk, ts, state: undefined, rulH };
        this.records.set(id, record);
      } else {
        record.tile = tile;
        record.risk = risk;
        record.ts = ts;
        record.rulH = rulH;
      }
      if (PUMP_STATE_SET.has(tile)) record.state = tile as PumpState;
      const isShown = !filtered || this.matches(record);
      if (isShown !== wasShown) membership = true;
      else if (isShown) changed.push(record);
    }
    this.counts = { ...delta.counts };
    this.total = delta.total;
    this.generatedAt = delta.generatedAt;
    if (membership) this.order();
    return { changed, membership };
  }

  setFilter(filter: FleetFilter): void {
    this.filter = filter;
    this.matcher = globToRegExp(filter.pattern);
    this.order();
  }

  getFilter(): FleetFilter {
    return this.filter;
  }

  /** Sorts the shown pumps again (risks move every second; the view decides how often to follow them). */
  order(): void {
    const shown: TileRecord[] = [];
    for (const record of this.records.values()) if (this.matches(record)) shown.push(record);
    shown.sort(this.filter.sort === 'risk' ? byRisk : byId);
    this.shown = shown;
  }

  private isFiltered(): boolean {
    return this.filter.states.size > 0 || this.filter.pattern !== '';
  }

  private matches(record: TileRecord): boolean {
    return (
      (this.filter.states.size === 0 || this.filter.states.has(record.tile)) && this.matcher.test(record.id)
    );
  }
}
