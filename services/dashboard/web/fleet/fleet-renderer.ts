/**
 * The fleet on the worker's side: the snapshot of GET /api/fleet kept current by the SSE `fleet` deltas, the
 * filter and order, and the canvas the fleet view handed over. The view hears back a small summary (counts,
 * layout) after each frame, and asks what tile is under the pointer.
 */
import type { FleetDelta, FleetResponse } from '../../src/api/contract.ts';
import type { TileState } from '../../src/api/tile-states.ts';
import { type FleetFilter, FleetModel } from './fleet-model.ts';
import { TileCanvas, type TileLayout, type Viewport } from './tile-canvas.ts';

/** In risk order, tiles keep their place between re-sorts, so that a pump can be followed and clicked. */
export const RESORT_EVERY_MS = 5000;

export interface FleetSummary {
  /** server time of the snapshot or delta last applied */
  readonly generatedAt: number;
  readonly counts: Readonly<Record<TileState, number>>;
  readonly total: number;
  /** pumps that pass the filter */
  readonly shown: number;
  readonly staleAfterMs: number;
  readonly offlineAfterMs: number;
  /** how the canvas is laid out, for its CSS size; undefined while no canvas is attached */
  readonly layout: TileLayout | undefined;
}

/** A tile under the pointer, and where it is drawn (CSS pixels relative to the canvas). */
export interface TileInfo {
  readonly id: string;
  readonly tile: TileState;
  readonly state: string | undefined;
  readonly risk: number;
  readonly ts: number;
  /** remaining useful life, hours; undefined while no RUL model serves */
  readonly rulH: number | undefined;
  readonly box: { readonly x: number; readonly y: number; readonly size: number };
}

export interface RendererIo {
  fetchFleet(): Promise<FleetResponse>;
  summary(summary: FleetSummary): void;
  failed(err: unknown): void;
}

export class FleetRenderer {
  private readonly model = new FleetModel();
  private tiles: TileCanvas | undefined;
  private limits = { staleAfterMs: 0, offlineAfterMs: 0 };
  private state: 'idle' | 'loading' | 'loaded' = 'idle';
  private pending: FleetDelta[] = [];
  private unsorted = false;

  /** Lives as long as the page's worker, and so does its re-sort timer. */
  constructor(private readonly io: RendererIo) {
    setInterval(() => this.resort(), RESORT_EVERY_MS);
  }

  /** The fleet view is shown: draw on its canvas (fetching the fleet first, the first time). */
  attach(canvas: OffscreenCanvas, viewport: Viewport, filter: FleetFilter): void {
    this.tiles?.destroy();
    this.tiles = new TileCanvas(canvas, viewport, () => this.publish());
    this.model.setFilter(filter);
    if (this.state === 'idle') void this.load();
    else this.tiles.setTiles(this.model.shown);
  }

  detach(): void {
    this.tiles?.destroy();
    this.tiles = undefined;
  }

  setFilter(filter: FleetFilter): void {
    this.model.setFilter(filter);
    this.unsorted = false;
    this.tiles?.setTiles(this.model.shown);
  }

  resize(viewport: Viewport): void {
    this.tiles?.resize(viewport);
  }

  /** A delta from the SSE stream. Before the fleet was ever shown there is nothing to keep current. */
  delta(delta: FleetDelta): void {
    if (this.state === 'idle') return;
    if (this.state === 'loading') {
      this.pending.push(delta);
      return;
    }
    const effect = this.model.applyDelta(delta);
    if (effect.membership) this.tiles?.setTiles(this.model.shown);
    else {
      this.tiles?.update(effect.changed);
      if (effect.changed.length > 0) this.unsorted = true;
    }
    if (!this.tiles) this.publish();
  }

  /** The stream was lost and is back: what changed meanwhile came in no delta. */
  reconnected(): void {
    // Also after a failed load while the view is open: the server may be back.
    if (this.state === 'loaded' || (this.state === 'idle' && this.tiles)) void this.load();
  }

  hit(x: number, y: number): TileInfo | undefined {
    const record = this.tiles?.tileAt(x, y);
    const box = record && this.tiles?.tileBox(record.id);
    if (!record || !box) return undefined;
    const { id, tile, state, risk, ts, rulH } = record;
    return { id, tile, state, risk, ts, rulH, box };
  }

  private async load(): Promise<void> {
    this.state = 'loading';
    try {
      const snapshot = await this.io.fetchFleet();
      this.model.load(snapshot);
      this.limits = { staleAfterMs: snapshot.staleAfterMs, offlineAfterMs: snapshot.offlineAfterMs };
      this.state = 'loaded';
      for (const delta of this.pending)
        if (delta.generatedAt > snapshot.generatedAt) this.model.applyDelta(delta);
      this.model.order();
      this.unsorted = false;
      if (this.tiles) this.tiles.setTiles(this.model.shown);
      else this.publish();
    } catch (err) {
      this.state = 'idle';
      this.io.failed(err);
    } finally {
      this.pending = [];
    }
  }

  private resort(): void {
    if (!this.unsorted || !this.tiles || this.model.getFilter().sort !== 'risk') return;
    this.model.order();
    this.unsorted = false;
    this.tiles.setTiles(this.model.shown);
  }

  private publish(): void {
    this.io.summary({
      generatedAt: this.model.generatedAt,
      counts: this.model.counts,
      total: this.model.total,
      shown: this.model.shown.length,
      ...this.limits,
      layout: this.tiles?.getLayout(),
    });
  }
}
