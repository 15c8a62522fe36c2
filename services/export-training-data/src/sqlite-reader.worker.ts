/**
 * The reader thread: walks the SQLite store in export order and posts the samples to the main thread
 * in packed batches, never more than `maxInFlight` ahead of what the main thread has taken.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SampleStore } from '@pdm/store';
import type { ReaderMessage, ReaderThreadData } from './sqlite-reader.ts';
import { type ValueBatch, ValueBatcher } from './value-batches.ts';

const port = parentPort;
if (!port) throw new Error('sqlite-reader.worker.ts runs as a worker thread');
const { path, filter, batchSamples, maxInFlight } = workerData as ReaderThreadData;

const batcher = new ValueBatcher(batchSamples);
let credits = maxInFlight;
let wake: (() => void) | undefined;
// Each message from the main thread means it has used up a batch; it sends the buffer back for reuse.
port.on('message', (buffer: ArrayBuffer) => {
  batcher.recycle(buffer);
  credits++;
  wake?.();
});

const post = (message: ReaderMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

async function send(batch: ValueBatch): Promise<void> {
  while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
  credits--;
  post({ kind: 'batch', batch }, [batch.numbers.buffer as ArrayBuffer]);
}

try {
  const store = SampleStore.open(path, { readonly: true });
  try {
    for (const values of store.iterateValues(filter)) {
      batcher.add(values);
      if (batcher.full) await send(batcher.take());
    }
    if (batcher.samples > 0) await send(batcher.take());
    post({ kind: 'end' });
  } finally {
    store.close();
  }
} catch (err) {
  post({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
}
// The thread now waits for the main thread to terminate it, so no message can be lost to an early exit.
