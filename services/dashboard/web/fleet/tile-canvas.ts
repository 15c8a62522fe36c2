/**
 * The fleet's tiles on one canvas: no DOM per pump, so that 10,000 pumps stay smooth. Changes are collected
 * and drawn once per animation frame, and only the tiles that changed are drawn again.
 */
import type { TileState } from '../../src/api/tile-states.ts';
import { TILE_COLOURS } from '../colours.ts';
import type { TileRecord } from './fleet-model.ts';

const MIN_TILE_PX = 8;
const MAX_TILE_PX = 56;
/** tiles at least this big carry their pump id */
const LABEL_FROM_PX = 40;
/**
 * Most tiles drawn in one animation frame; the others wait for the next ones. Each frame that changes the
 * canvas costs a copy of the whole canvas to the compositor, more than drawing 10,000 tiles does, so a
 * second in which every pump changed is drawn in one frame, and only more than that is spread out.
 */
const TILES_PER_FRAME = 12_000;

export interface TileLayout {
  /** CSS pixels per tile, gap included */
  readonly size: number;
  readonly gap: number;
  readonly cols: number;
}

/** Tile size for `count` tiles in `width` CSS pixels, so that the fleet fits about `height` pixels. */
export function layoutTiles(count: number, width: number, height: number): TileLayout {
  const ideal = Math.floor(Math.sqrt((width * height) / Math.max(1, count)));
  const size = Math.max(MIN_TILE_PX, Math.min(MAX_TILE_PX, ideal));
  return { size, gap: size >= 20 ? 2 : 1, cols: Math.max(1, Math.floor(width / size)) };
}

export class TileCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private layout: TileLayout = { size: MAX_TILE_PX, gap: 2, cols: 1 };
  private width = 0;
  private shown: readonly TileRecord[] = [];
  private readonly position = new Map<string, number>();
  /** positions waiting to be drawn */
  private readonly dirty = new Set<number>();
  private frame = 0;

  constructor(private readonly targetHeight: () => number) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'tiles';
    const ctx = this.canvas.getContext('2d', { alpha: true });
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    this.ctx = ctx;
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

  resize(width: number): void {
    if (Math.abs(width - this.width) < 1) return;
    this.width = width;
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
    cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  private relayout(): void {
    if (this.width <= 0) return;
    this.layout = layoutTiles(this.shown.length, this.width, this.targetHeight());
    const { size, cols } = this.layout;
    const rows = Math.ceil(this.shown.length / cols);
    const cssHeight = Math.max(rows * size, size);
    const dpr = window.devicePixelRatio || 1;
    const width = Math.round(this.width * dpr);
    const height = Math.round(cssHeight * dpr);
    // Resizing clears the canvas; a new order of as many tiles just paints over the old one, without a blank.
    if (width !== this.canvas.width || height !== this.canvas.height) {
      this.canvas.width = width;
      this.canvas.height = height;
      this.canvas.style.width = `${this.width}px`;
      this.canvas.style.height = `${cssHeight}px`;
    } else {
      for (let i = this.shown.length; i < rows * cols; i++) {
        this.ctx.clearRect((i % cols) * size, Math.floor(i / cols) * size, size, size);
      }
    }
    this.canvas.dataset.tileSize = String(size);
    this.canvas.dataset.cols = String(cols);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.dirty.clear();
    for (let i = 0; i < this.shown.length; i++) this.dirty.add(i);
    this.schedule();
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.draw());
  }

  /** Draws the waiting tiles, at most TILES_PER_FRAME of them; the rest in the next frames. */
  private draw(): void {
    this.frame = 0;
    const batch: number[] = [];
    for (const i of this.dirty) {
      this.dirty.delete(i);
      batch.push(i);
      if (batch.length >= TILES_PER_FRAME) break;
    }
    this.paint(batch);
    if (this.dirty.size > 0) this.schedule();
  }

  /** One path per colour: far fewer canvas state changes than one fill per tile. */
  private paint(indices: readonly number[]): void {
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
function fitLabel(ctx: CanvasRenderingContext2D, id: string, width: number): string {
  if (ctx.measureText(id).width <= width) return id;
  for (let start = 1; start < id.length; start++) {
    const label = `…${id.slice(start)}`;
    if (ctx.measureText(label).width <= width) return label;
  }
  return '';
}
