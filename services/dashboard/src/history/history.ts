/**
 * Where the dashboard reads the past from: the SQLite store beside acquisition (read-only, a WAL reader)
 * or InfluxDB (QueryApi). Both adapters implement this port; the routes know nothing else of the store.
 * Rows come in the contract's own shapes (Prediction, Alert of @pdm/contract), decoded by the adapter.
 */
import type { Alert, Channel, Prediction } from '@pdm/contract';

/** One stored sample: device time, then the channels in CHANNELS order. */
export type SampleRow = readonly [ts: number, ...values: number[]];

export interface AlertFilter {
  readonly pumpId?: string | undefined;
  readonly kind?: Alert['kind'] | undefined;
  /** epoch ms, inclusive */
  readonly fromMs?: number | undefined;
  /** epoch ms, exclusive */
  readonly toMs?: number | undefined;
  readonly limit: number;
}

export interface ModelVersionSeen {
  readonly version: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

export interface DeadLetterSummary {
  readonly byReason: readonly { readonly origin: string; readonly reason: string; readonly count: number }[];
  readonly recent: readonly {
    readonly receivedAt: number;
    readonly origin: string;
    readonly topic: string | null;
    readonly reason: string;
    readonly detail: string;
  }[];
}

/**
 * The store cannot be read now (the SQLite file not created yet, InfluxDB unreachable): the routes answer
 * 503 with this message rather than 500, and the live views go on.
 */
export class HistoryUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HistoryUnavailableError';
  }
}

export interface History {
  /** what the adapter reads, for logs and /healthz: e.g. `sqlite data/pdm.sqlite` */
  readonly description: string;
  /** for /healthz: 'ok', or why the store cannot be read now; absent where the adapter cannot tell */
  availability?(): string;
  /** the last prediction of every pump that has one, to fill the fleet view on start */
  latestPredictions(): Promise<Prediction[]>;
  /** one pump's samples in [fromMs, toMs), ascending by device time; `channels` fixes the value order */
  samples(
    pumpId: string,
    fromMs: number,
    toMs: number,
    channels: readonly Channel[],
  ): AsyncIterable<SampleRow>;
  /** one pump's predictions in [fromMs, toMs), ascending */
  predictions(pumpId: string, fromMs: number, toMs: number): AsyncIterable<Prediction>;
  /** one pump's last `limit` predictions before `beforeMs`, newest first */
  lastPredictions(pumpId: string, beforeMs: number, limit: number): Promise<Prediction[]>;
  /** alerts matching the filter, newest first */
  alerts(filter: AlertFilter): Promise<Alert[]>;
  /** per pump whose latest alert is an alarm, that alarm; newest first */
  openAlarms(): Promise<Alert[]>;
  /** model versions seen in the stored predictions, oldest first */
  modelVersions(): Promise<ModelVersionSeen[]>;
  /** dead letters by origin and reason, and the most recent ones; undefined where the store keeps none */
  deadLetters(recent: number): Promise<DeadLetterSummary | undefined>;
  close(): Promise<void>;
}
