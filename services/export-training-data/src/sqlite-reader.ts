/**
 * Reads the SQLite store on a second thread. Turning a million rows into JavaScript values is most of
 * an export's work (better-sqlite3 spends about 3 µs a row), and the features and the output are
 * nearly as much again: on two cores the two halves overlap. Batches are bounded in number, so memory
 * stays constant.
 */
import { Worker } from 'node:worker_threads';
import type { LabelledSample } from '@pdm/contract';
import { ExportError } from './errors.ts';
import type { RowFilter } from './row-source.ts';
import { batchAsRows, emptyRow, type ValueBatch } from './value-batches.ts';

export interface ReaderThreadData {
  readonly path: string;
  readonly filter: RowFilter;
  readonly batchSamples: number;
  readonly maxInFlight: number;
}

export type ReaderMessage =
  | { readonly kind: 'batch'; readonly batch: ValueBatch }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly message: string };

/** 8192 samples are 1 MB of numbers; four in flight keep the reader busy without piling up. */
const BATCH_SAMPLES = 8192;
const MAX_IN_FLIGHT = 4;

/**
 * The worker runs TypeScript, like the CLI itself: it registers tsx before it imports its module,
 * since Node 20 does not pass the main thread's loader on to workers.
 */
function tsxApi(): string | undefined {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return undefined;
  }
}

/** false where tsx cannot be found (e.g. a build to JavaScript): then the store is read in this thread */
export function readerThreadAvailable(): boolean {
  return tsxApi() !== undefined;
}

function workerSource(): string {
  const tsx = tsxApi();
  if (tsx === undefined) throw new Error('the reader thread needs tsx');
  const entry = new URL('./sqlite-reader.worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
}

export async function* readInThread(
  path: string,
  filter: RowFilter,
): AsyncGenerator<Iterable<LabelledSample>> {
  const data: ReaderThreadData = { path, filter, batchSamples: BATCH_SAMPLES, maxInFlight: MAX_IN_FLIGHT };
  const worker = new Worker(workerSource(), { eval: true, workerData: data });
  const inbox: ReaderMessage[] = [];
  let failure: Error | undefined;
  let exited = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: ReaderMessage) => {
    inbox.push(message);
    notify();
  });
  worker.on('error', (err) => {
    failure = err;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });
  const row = emptyRow();
  const fail = (message: string, cause?: unknown) =>
    new ExportError('source_failed', `reading ${path} failed: ${message}`, { cause });
  try {
    for (;;) {
      let message = inbox.shift();
      while (message === undefined) {
        if (failure) throw fail(failure.message, failure);
        if (exited) throw fail('the reader thread stopped early');
        await new Promise<void>((resolve) => (wake = resolve));
        message = inbox.shift();
      }
      if (message.kind === 'end') return;
      if (message.kind === 'error') throw fail(message.message);
      // The consumer walks the whole batch before it asks for the next: then the buffer is free again.
      yield batchAsRows(message.batch, row);
      const buffer = message.batch.numbers.buffer as ArrayBuffer;
      worker.postMessage(buffer, [buffer]);
    }
  } finally {
    await worker.terminate();
  }
}
