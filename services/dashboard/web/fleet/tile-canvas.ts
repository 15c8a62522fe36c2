/**
 * The fleet's tiles on one canvas: no DOM per pump, so that 10,000 pumps stay smooth. Changes are collected
 * and drawn once per animation frame, and only the tiles that changed are drawn again.
 */
import { TILE_COLOURS } from '../colours.ts';
import type { TileRecord } from './fleet-model.ts';

const MIN_TILE_PX = 8;
const MAX_TILE_PX = 56;
/** tiles at least this big carry their pump id */
const LABEL_FROM_PX = 40;

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
  private readonly dirty = new Set<number>();
  private fullRedraw = false;
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
    const rows = Math.ceil(this.shown.length / this.layout.cols);
    const cssHeight = Math.max(rows * this.layout.size, this.layout.size);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(cssHeight * dpr);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${cssHeight}px`;
    this.canvas.dataset.tileSize = String(this.layout.size);
    this.canvas.dataset.cols = String(this.layout.cols);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.fullRedraw = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    this.frame = 0;
    const ctx = this.ctx;
    if (this.fullRedraw) {
      this.fullRedraw = false;
      this.dirty.clear();
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      for (let i = 0; i < this.shown.length; i++) this.drawTile(i);
      return;
    }
    for (const i of this.dirty) this.drawTile(i);
    this.dirty.clear();
  }

  private drawTile(i: number): void {
    const record = this.shown[i];
    if (!record) return;
    const { size, gap, cols } = this.layout;
    const x = (i % cols) * size;
    const y = Math.floor(i / cols) * size;
    const swatch = TILE_COLOURS[record.tile];
    const ctx = this.ctx;
    ctx.fillStyle = swatch.fill;
    ctx.fillRect(x, y, size - gap, size - gap);
    if (size >= LABEL_FROM_PX) {
      ctx.fillStyle = swatch.ink;
      ctx.font = '10px system-ui, sans-serif';
      ctx.textBaseline = 'bottom';
      ctx.fillText(fitLabel(ctx, record.id, size - gap - 6), x + 3, y + size - gap - 3);
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
