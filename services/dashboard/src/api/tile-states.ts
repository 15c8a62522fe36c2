/**
 * A pump's tile state on the fleet view. Apart from contract.ts, which needs zod, so that the page can import
 * it without bundling zod.
 */
import { PUMP_STATES } from '@pdm/contract/states';

/** A pump's tile state: its smoothed prediction, or how long it has been silent. */
export const TILE_STATES = [...PUMP_STATES, 'STALE', 'OFFLINE'] as const;
export type TileState = (typeof TILE_STATES)[number];
