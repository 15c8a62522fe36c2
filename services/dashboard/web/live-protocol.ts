/** The messages between the page and its SSE worker (live-worker.ts). */
import type { AlertRow, PredictionRow, SeriesPoint, ServiceStatus } from '../src/api/contract.ts';
import type { CompactDelta } from './fleet/compact-delta.ts';

export type Connection = 'connecting' | 'live' | 'disconnected';

/** The SSE events other than `fleet`, passed on parsed. */
export interface PlainEvents {
  readonly alert: AlertRow;
  readonly status: ServiceStatus;
  readonly sample: SeriesPoint;
  readonly prediction: PredictionRow;
}
export const PLAIN_EVENTS: readonly (keyof PlainEvents)[] = ['alert', 'status', 'sample', 'prediction'];

export type ToWorker = { readonly type: 'follow'; readonly pump: string | undefined };

export type FromWorker =
  | { readonly type: 'connection'; readonly state: Connection }
  /** the stream is back after it was lost: what happened meanwhile was missed */
  | { readonly type: 'reconnected' }
  | { readonly type: 'fleet'; readonly delta: CompactDelta }
  | {
      readonly [K in keyof PlainEvents]: {
        readonly type: 'event';
        readonly name: K;
        readonly data: PlainEvents[K];
      };
    }[keyof PlainEvents];
