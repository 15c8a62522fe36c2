/**
 * History from the SQLite store acquisition writes, opened read-only (a WAL reader beside the writer).
 * The file may not exist yet when the dashboard starts before acquisition: opening is retried every few
 * seconds, and meanwhile every read says why with HistoryUnavailableError (the live views go on).
 */
import type { Channel, Prediction } from '@pdm/contract';
import type { Logger } from '@pdm/service-kit';
import { SampleStore, StoreError } from '@pdm/store';
import { type History, HistoryUnavailableError, type SampleRow } from './history.ts';

export const OPEN_RETRY_MS = 2_000;

export function createSqliteHistory(path: string, log: Logger, { retryMs = OPEN_RETRY_MS } = {}): History {
  let store: SampleStore | undefined;
  let problem = 'not opened yet';
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const open = (): void => {
    retry = undefined;
    if (closed) return;
    try {
      store = SampleStore.open(path, { readonly: true });
      log.info({ path }, 'reading history from the SQLite store');
    } catch (err) {
      const reason =
        err instanceof StoreError ? err.message : `cannot open ${path}: ${(err as Error).message}`;
      if (reason !== problem) log.warn({ path, problem: reason }, 'SQLite store not readable yet; retrying');
      problem = reason;
      retry = setTimeout(open, retryMs);
      retry.unref();
    }
  };
  open();

  const opened = (): SampleStore => {
    if (store) return store;
    throw new HistoryUnavailableError(problem);
  };

  return {
    description: `sqlite ${path}`,
    availability: () => (store ? 'ok' : problem),
    latestPredictions: async () => (store ? store.latestPredictions() : []),
    samples: (pumpId: string, fromMs: number, toMs: number, channels: readonly Channel[]) =>
      rowsOf(() => opened().iterateSampleValues(pumpId, fromMs, toMs, channels) as Iterable<SampleRow>),
    predictions: (pumpId: string, fromMs: number, toMs: number) =>
      rowsOf<Prediction>(() => opened().iteratePredictions(pumpId, fromMs, toMs)),
    lastPredictions: async (pumpId, beforeMs, limit) => opened().lastPredictions(pumpId, beforeMs, limit),
    alerts: async (filter) => opened().alerts(filter),
    openAlarms: async () => opened().openAlarms(),
    modelVersions: async () => opened().modelVersions(),
    deadLetters: async (recent) => opened().deadLetterSummary(recent),
    close: async () => {
      closed = true;
      clearTimeout(retry);
      store?.close();
      store = undefined;
    },
  };
}

/**
 * A store iterator as the port's AsyncIterable, opened only when iterated, and readable synchronously too
 * (downsample() does, sparing an await a row). It is read to its end in one go by its consumer, so no
 * other statement runs on the connection while it is open.
 */
function rowsOf<T>(iterate: () => Iterable<T>): AsyncIterable<T> & Iterable<T> {
  return {
    [Symbol.iterator]: () => iterate()[Symbol.iterator](),
    async *[Symbol.asyncIterator]() {
      yield* iterate();
    },
  };
}
