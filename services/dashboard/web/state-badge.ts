/** A state as a small coloured label: the colour and the name, so that it never rests on colour alone. */
import type { PumpState } from '@pdm/contract/states';
import type { TileState } from '../src/api/tile-states.ts';
import { TILE_COLOURS } from './colours.ts';
import { el } from './dom.ts';

const UNKNOWN = { fill: '#ffffff', ink: '#1a1a1a' };

export function stateBadge(state: PumpState | TileState): HTMLElement {
  // The server validates every state; an unknown one is still shown, as the text it is.
  const swatch = TILE_COLOURS[state] ?? { ...UNKNOWN, label: String(state) };
  const badge = el('span', { className: 'badge', text: swatch.label, dataset: { state: String(state) } });
  badge.style.background = swatch.fill;
  badge.style.color = swatch.ink;
  return badge;
}
