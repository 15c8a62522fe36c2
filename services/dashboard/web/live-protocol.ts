/** The messages between the page and its worker (live-worker.ts): live events, and the fleet's canvas. */
import type { AlertRow, PredictionRow, SeriesPoint, ServiceStatus } from '../src/api/contract.ts';
import type { FleetFilter } from './fleet/fleet-model.ts';
import type { FleetSummary, TileInfo } from './fleet/fleet-renderer.ts';
import type { Viewport } from './fleet/tile-canvas.ts';

export type Connection = 'connecting' | 'live' | 'disconnected';

/** The SSE events other than `fleet`, passed on parsed. */
export interface PlainEvents {
  readonly alert: AlertRow;
  readonly status: ServiceStatus;
  readonly sample: SeriesPoint;
  readonly prediction: PredictionRow;
}
export const PLAIN_EVENTS: readonly (keyof PlainEvents)[] = ['alert', 'status', 'sample', 'prediction'];

/** Why the fleet could not be loaded, as the view shows it. */
export interface FleetFailure {
  readonly message: string;
  readonly status: number;
  readonly problems: readonly string[];
}

export type ToWorker =
  | { readonly type: 'follow'; readonly pump: string | undefined }
  | {
      readonly type: 'fleet-attach';
      readonly canvas: OffscreenCanvas;
      readonly viewport: Viewport;
      readonly filter: FleetFilter;
    }
  | { readonly type: 'fleet-filter'; readonly filter: FleetFilter }
  | { readonly type: 'fleet-resize'; readonly viewport: Viewport }
  | { readonly type: 'fleet-detach' }
  | { readonly type: 'fleet-hit'; readonly request: number; readonly x: number; readonly y: number };

export type FromWorker =
  | { readonly type: 'connection'; readonly state: Connection }
  | { readonly type: 'fleet-summary'; readonly summary: FleetSummary }
  | { readonly type: 'fleet-failed'; readonly failure: FleetFailure }
  | { readonly type: 'fleet-hit'; readonly request: number; readonly tile: TileInfo | undefined }
  | {
      readonly [K in keyof PlainEvents]: {
        readonly type: 'event';
        readonly name: K;
        readonly data: PlainEvents[K];
      };
    }[keyof PlainEvents];
