/**
 * Every pump's last prediction, as the fleet view shows it: a tile coloured by the smoothed state, or
 * STALE / OFFLINE by how long ago the dashboard last heard of the pump; counts, risk, filters, sorting,
 * and the tiles that changed since the last SSE `fleet` event.
 */
import type { Prediction, PumpState } from '@pdm/contract';
import {
  type FleetDelta,
  type FleetResponse,
  type PumpTile,
  TILE_STATES,
  type TileState,
  type TileTuple,
} from './api/contract.ts';
import { riskOf } from './rows.ts';

export interface FleetSettings {
  readonly staleAfterMs: number;
  readonly offlineAfterMs: number;
  /** pumps kept at most: a flood of made-up ids must not grow memory without bound */
  readonly maxPumps: number;
}

export interface FleetQuery {
  readonly pattern?: string | undefined;
  readonly state?: readonly TileState[] | undefined;
  readonly sort: 'risk' | 'id';
}

/** A risk change smaller than this is not worth a tile in the next delta. */
const RISK_STEP = 0.01;

/** One pump, updated in place on each prediction: the hot path allocates nothing per message. */
interface Pump {
  readonly id: string;
  state: PumpState;
  rawState: PumpState;
  risk: number;
  ts: number;
  seq: number;
  seenAt: number;
  vibrationRms: number;
  isoZone: Prediction['iso_zone'];
  modelVersion: string;
  /** hours; NaN while no RUL model serves (a number, so that the hot path stores no other type) */
  rulH: number;
  /** what the last delta said of this pump; undefined before the first */
  sentTile: TileState | undefined;
  sentRisk: number;
  /** the RUL the last delta said, as roundRul() gives it; NaN for none */
  sentRul: number;
}

export type ApplyResult = 'applied' | 'older' | 'refused';

export class FleetState {
  readonly #pumps = new Map<string, Pump>();
  readonly #settings: FleetSettings;

  constructor(settings: FleetSettings) {
    this.#settings = settings;
  }

  get size(): number {
    return this.#pumps.size;
  }

  /**
   * Takes a prediction received at `seenAt`. An older one than the pump's last (a redelivery, or out of
   * order) is ignored while the pump is live; a new pump beyond maxPumps is refused.
   */
  apply(p: Prediction, seenAt: number): ApplyResult {
    let pump = this.#pumps.get(p.pump_id);
    if (pump === undefined) {
      if (this.#pumps.size >= this.#settings.maxPumps) return 'refused';
      pump = {
        id: p.pump_id,
        state: p.state,
        rawState: p.raw_state,
        risk: 0,
        ts: p.ts,
        seq: p.seq,
        seenAt,
        vibrationRms: 0,
        isoZone: p.iso_zone,
        modelVersion: p.model_version,
        rulH: Number.NaN,
        sentTile: undefined,
        sentRisk: 0,
        sentRul: Number.NaN,
      };
      this.#pumps.set(p.pump_id, pump);
    } else if (p.ts <= pump.ts && seenAt - pump.seenAt < this.#settings.staleAfterMs) {
      // A pump whose clock went back for good (a simulator restarted) is taken again once it is stale.
      return 'older';
    }
    pump.state = p.state;
    pump.rawState = p.raw_state;
    pump.risk = riskOf(p.probabilities);
    pump.ts = p.ts;
    pump.seq = p.seq;
    pump.seenAt = seenAt;
    pump.vibrationRms = p.vibration_rms;
    pump.isoZone = p.iso_zone;
    pump.modelVersion = p.model_version;
    pump.rulH = p.rul_h ?? Number.NaN;
    return 'applied';
  }

  /** The pump's last prediction's seq and state, for scoring; undefined for an unknown pump. */
  last(pumpId: string): { readonly seq: number; readonly state: PumpState } | undefined {
    return this.#pumps.get(pumpId);
  }

  /** GET /api/fleet: counts over the whole fleet, the pumps that pass the filters, sorted. */
  snapshot(query: FleetQuery, now: number): FleetResponse {
    const counts = emptyCounts();
    const matchesId = query.pattern ? globMatcher(query.pattern) : undefined;
    const states = query.state && query.state.length > 0 ? new Set(query.state) : undefined;
    const pumps: PumpTile[] = [];
    for (const p of this.#pumps.values()) {
      const tile = this.#tileOf(p, now);
      counts[tile] += 1;
      if (matchesId && !matchesId(p.id)) continue;
      if (states && !states.has(tile)) continue;
      pumps.push({
        id: p.id,
        tile,
        state: p.state,
        rawState: p.rawState,
        risk: p.risk,
        ts: p.ts,
        seenAt: p.seenAt,
        vibrationRms: p.vibrationRms,
        isoZone: p.isoZone,
        modelVersion: p.modelVersion,
        rulH: Number.isNaN(p.rulH) ? null : p.rulH,
      });
    }
    pumps.sort(query.sort === 'id' ? byId : byRiskThenId);
    return {
      generatedAt: now,
      staleAfterMs: this.#settings.staleAfterMs,
      offlineAfterMs: this.#settings.offlineAfterMs,
      counts,
      total: this.#pumps.size,
      pumps,
    };
  }

  /**
   * The tiles whose state changed, whose risk moved by RISK_STEP, or whose RUL changed in its two
   * significant digits, since the last call (a pump turning STALE or OFFLINE included); undefined when
   * none did. One pass over the fleet, once a second.
   */
  takeDelta(now: number): FleetDelta | undefined {
    const counts = emptyCounts();
    const tiles: TileTuple[] = [];
    for (const p of this.#pumps.values()) {
      const tile = this.#tileOf(p, now);
      counts[tile] += 1;
      const rul = roundRul(p.rulH);
      if (
        tile === p.sentTile &&
        Math.abs(p.risk - p.sentRisk) < RISK_STEP &&
        (rul === p.sentRul || (Number.isNaN(rul) && Number.isNaN(p.sentRul)))
      )
        continue;
      p.sentTile = tile;
      p.sentRisk = p.risk;
      p.sentRul = rul;
      tiles.push(tileTuple(p, tile, rul));
    }
    if (tiles.length === 0) return undefined;
    return { generatedAt: now, counts, total: this.#pumps.size, tiles };
  }

  /** Every tile, for a client that has just connected; leaves what takeDelta compares with alone. */
  fullDelta(now: number): FleetDelta {
    const counts = emptyCounts();
    const tiles: TileTuple[] = [];
    for (const p of this.#pumps.values()) {
      const tile = this.#tileOf(p, now);
      counts[tile] += 1;
      tiles.push(tileTuple(p, tile, roundRul(p.rulH)));
    }
    return { generatedAt: now, counts, total: this.#pumps.size, tiles };
  }

  #tileOf(p: Pump, now: number): TileState {
    const age = now - p.seenAt;
    if (age >= this.#settings.offlineAfterMs) return 'OFFLINE';
    if (age >= this.#settings.staleAfterMs) return 'STALE';
    return p.state;
  }
}

function emptyCounts(): Record<TileState, number> {
  const counts = {} as Record<TileState, number>;
  for (const s of TILE_STATES) counts[s] = 0;
  return counts;
}

/** A tile for a delta: the RUL only where there is one, so that a fleet without a RUL model sends none. */
function tileTuple(p: Pump, tile: TileState, rul: number): TileTuple {
  const risk = roundRisk(p.risk);
  return Number.isNaN(rul) ? [p.id, tile, risk, p.ts] : [p.id, tile, risk, p.ts, rul];
}

/**
 * Two significant digits: what a tooltip shows, and a step that resends a pump whose RUL falls steadily
 * about every twentieth to hundredth part of it, rather than every second. NaN stays NaN.
 */
export function roundRul(hours: number): number {
  return hours > 0 ? Number(hours.toPrecision(2)) : hours;
}

/** Three decimals are plenty for a colour and a sort, and keep a 10,000-tile delta small. */
function roundRisk(risk: number): number {
  return Math.round(risk * 1000) / 1000;
}

function byId(a: PumpTile, b: PumpTile): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function byRiskThenId(a: PumpTile, b: PumpTile): number {
  return b.risk - a.risk || byId(a, b);
}

/** `*` any run of characters, `?` one; everything else literally, case-sensitive, whole id. */
export function globMatcher(pattern: string): (id: string) => boolean {
  const source = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.\\+^$()[\]{}|-]/g, '\\$&')))
    .join('');
  const regex = new RegExp(`^${source}$`);
  return (id) => regex.test(id);
}
