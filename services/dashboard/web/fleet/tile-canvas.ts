/**
 * The fleet's tiles on one canvas, drawn in the page's worker (an OffscreenCanvas that the fleet view handed
 * over), so that neither drawing 10,000 tiles nor handing the canvas to the compositor ever holds up the
 * page's main thread. No DOM per pump. Changes are collected and drawn once per animation frame, and only
 * the tiles that changed are drawn again.
 */
import type { TileState } from '../../src/api/tile-states.ts';
import { TILE_COLOURS } from '../colours.ts';
import type { TileRecord } from './fleet-model.ts';

const MIN_TILE_PX = 8;
const MAX_TILE_PX = 56;
/** tiles at least this big carry their pump id */
const LABEL_FROM_PX = 40;

/** Where the canvas sits on the page, in CSS pixels, as the fleet view measures it. */
export interface Viewport {
  readonly width: number;
  /** the height the fleet should fit in, about */
  readonly targetHeight: number;
  readonly devicePixelRatio: number;
}

export interface TileLayout {
  /** CSS pixels per tile, gap included */
  readonly size: number;
  readonly gap: number;
  readonly cols: number;
  /** the canvas's CSS height for the tiles shown */
  readonly height: number;
}

/** Tile size for `count` tiles in `width` CSS pixels, so that the fleet fits about `height` pixels. */
export function layoutTiles(count: number, width: number, height: number): TileLayout {
  const ideal = Math.floor(Math.sqrt((width * height) / Math.max(1, count)));
  const size = Math.max(MIN_TILE_PX, Math.min(MAX_TILE_PX, ideal));
  const cols = Math.max(1, Math.floor(width / size));
  return { size, gap: size >= 20 ? 2 : 1, cols, height: Math.max(1, Math.ceil(count / cols)) * size };
}

/** An animation frame where the worker has them (Chrome, Firefox), else a timer. */
const nextFrame: (draw: () => void) => void =
  typeof requestAnimationFrame === 'function'
    ? (draw) => requestAnimationFrame(draw)
    : (draw) => setTimeout(draw, 16);

export class TileCanvas {
  private readonly ctx: OffscreenCanvasRenderingContext2D;
  private layout: TileLayout = { size: MAX_TILE_PX, gap: 2, cols: 1, height: MAX_TILE_PX };
  private shown: readonly TileRecord[] = [];
  private readonly position = new Map<string, number>();
  /** positions waiting to be drawn */
  private readonly dirty = new Set<number>();
  private scheduled = false;
  private destroyed = false;

  constructor(
    private readonly canvas: OffscreenCanvas,
    private viewport: Viewport,
    /** after each frame drawn: the pixels are on their way to the screen */
    private readonly drawn: () => void,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw on a canvas in a worker');
    this.ctx = ctx;
  }

  getLayout(): TileLayout {
    return this.layout;
  }

  /** A new set or order of tiles: everything is laid out and drawn again. */
  setTiles(shown: readonly TileRecord[]): void {
    this.shown = shown;
    this.position.clear();
    for (let i = 0; i < shown.length; i++) this.position.set((shown[i] as TileRecord).id, i);
    this.relayout();
  }

  /** Tiles that changed in place. */
  update(changed: readonly TileRecord[]): void {
    for (const record of changed) {
      const i = this.position.get(record.id);
      if (i !== undefined) this.dirty.add(i);
    }
    this.schedule();
  }

  resize(viewport: Viewport): void {
    this.viewport = viewport;
    this.relayout();
  }

  /** The tile under a point in CSS pixels relative to the canvas. */
  tileAt(x: number, y: number): TileRecord | undefined {
    const { size, cols } = this.layout;
    const col = Math.floor(x / size);
    if (x < 0 || y < 0 || col >= cols) return undefined;
    return this.shown[Math.floor(y / size) * cols + col];
  }

  /** Where a tile is drawn, CSS pixels relative to the canvas (for the hover box). */
  tileBox(id: string): { x: number; y: number; size: number } | undefined {
    const i = this.position.get(id);
    if (i === undefined) return undefined;
    const { size, cols } = this.layout;
    return { x: (i % cols) * size, y: Math.floor(i / cols) * size, size };
  }

  destroy(): void {
    this.destroyed = true;
  }

  private relayout(): void {
    const { width, targetHeight, devicePixelRatio: dpr } = this.viewport;
    if (width <= 0) return;
    this.layout = layoutTiles(this.shown.length, width, targetHeight);
    const { size, cols, height } = this.layout;
    const pixelWidth = Math.round(width * dpr);
    const pixelHeight = Math.round(height * dpr);
    // Resizing clears the canvas; a new order of as many tiles just paints over the old one, without a blank.
    if (pixelWidth !== this.canvas.width || pixelHeight !== this.canvas.height) {
      this.canvas.width = pixelWidth;
      this.canvas.height = pixelHeight;
    } else {
      const rows = height / size;
      for (let i = this.shown.length; i < rows * cols; i++) {
        this.ctx.clearRect((i % cols) * size, Math.floor(i / cols) * size, size, size);
      }
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.dirty.clear();
    for (let i = 0; i < this.shown.length; i++) this.dirty.add(i);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.destroyed) return;
    this.scheduled = true;
    nextFrame(() => this.draw());
  }

  private draw(): void {
    this.scheduled = false;
    if (this.destroyed) return;
    this.paint(this.dirty);
    this.dirty.clear();
    this.drawn();
  }

  /** One path per colour: far fewer canvas state changes than one fill per tile. */
  private paint(indices: Iterable<number>): void {
    const { size, gap, cols } = this.layout;
    const ctx = this.ctx;
    const byState = new Map<TileState, number[]>();
    for (const i of indices) {
      const record = this.shown[i];
      if (!record) continue;
      const list = byState.get(record.tile);
      if (list) list.push(i);
      else byState.set(record.tile, [i]);
    }
    for (const [state, list] of byState) {
      ctx.fillStyle = TILE_COLOURS[state].fill;
      ctx.beginPath();
      for (const i of list) ctx.rect((i % cols) * size, Math.floor(i / cols) * size, size - gap, size - gap);
      ctx.fill();
    }
    if (size < LABEL_FROM_PX) return;
    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'bottom';
    for (const [state, list] of byState) {
      ctx.fillStyle = TILE_COLOURS[state].ink;
      for (const i of list) {
        const id = (this.shown[i] as TileRecord).id;
        const x = (i % cols) * size;
        const y = Math.floor(i / cols) * size;
        ctx.fillText(fitLabel(ctx, id, size - gap - 6), x + 3, y + size - gap - 3);
      }
    }
  }
}

/** The id, or as much of its end as fits, after "…" (the end tells a fleet's pumps apart). */
function fitLabel(ctx: OffscreenCanvasRenderingContext2D, id: string, width: number): string {
  if (ctx.measureText(id).width <= width) return id;
  for (let start = 1; start < id.length; start++) {
    const label = `…${id.slice(start)}`;
    if (ctx.measureText(label).width <= width) return label;
  }
  return '';
}
