/**
 * The page's one colour table: tile and pump states, ISO 10816 zone bands. The state colours are Okabe–Ito's
 * colour-blind-safe palette, ordered light to dark with severity, so that they stay apart without hue too;
 * every colour comes with its name as text wherever it is shown.
 */
import type { IsoZone, PumpState } from '@pdm/contract/states';
import type { TileState } from '../src/api/tile-states.ts';

export interface Swatch {
  /** fill, #rrggbb (the browser tests compare canvas pixels with it) */
  readonly fill: string;
  /** text drawn on the fill */
  readonly ink: string;
  readonly label: string;
}

export const TILE_COLOURS: Readonly<Record<TileState, Swatch>> = {
  HEALTHY: { fill: '#009e73', ink: '#ffffff', label: 'healthy' },
  WARNING: { fill: '#f0e442', ink: '#1a1a1a', label: 'warning' },
  FAULTY: { fill: '#e69f00', ink: '#1a1a1a', label: 'faulty' },
  BROKEN: { fill: '#d55e00', ink: '#ffffff', label: 'broken' },
  STALE: { fill: '#b8b8b8', ink: '#1a1a1a', label: 'stale' },
  OFFLINE: { fill: '#4d4d4d', ink: '#ffffff', label: 'offline' },
};

/** The remaining useful life's line and a rul_low alert's mark: the Okabe–Ito blue, apart from the states. */
export const RUL_COLOUR = '#0072b2';

export function stateColour(state: PumpState | TileState): string {
  return TILE_COLOURS[state].fill;
}

/** Background bands of the vibration chart: light, opaque tints, so that the lines stay readable on them. */
export const ISO_ZONE_FILLS: Readonly<Record<IsoZone, string>> = {
  A: '#dcf2e6',
  B: '#f8f4cc',
  C: '#fbe6c4',
  D: '#f7d3c4',
};

export const ISO_ZONE_MEANING: Readonly<Record<IsoZone, string>> = {
  A: 'newly commissioned',
  B: 'unrestricted operation',
  C: 'restricted, plan maintenance',
  D: 'damage occurs',
};

/** Line colours of the charts that are not states (vibration axes, the other channels). */
export const SERIES_COLOURS = ['#0072b2', '#cc79a7', '#56b4e9', '#1a1a1a'] as const;

/** `#rrggbb` to [r, g, b]. */
export function rgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The colour with this alpha, as rgba(), for fills between min and max lines. */
export function withAlpha(hex: string, alpha: number): string {
  const [r, g, b] = rgb(hex);
  return `rgba(${r},${g},${b},${alpha})`;
}
