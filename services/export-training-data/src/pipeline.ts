/**
 * The export pass: every sample of a pump goes through the shared FeatureExtractor in time order, then
 * the sampler decides whether the labelled ones are written. One row at a time, start to end: nothing
 * is held but the current pump's feature window and the output chunk being filled.
 */
import type { LabelledSample } from '@pdm/contract';
import { FEATURE_COUNT, FeatureExtractor, yieldsFeatures } from '@pdm/features';
import type { SelectionSampler } from './balance.ts';
import { ByteBuffer } from './bytes.ts';
import { ExportError } from './errors.ts';
import type { RowFormat } from './format.ts';
import type { RowBatches } from './row-source.ts';

export interface ChunkSink {
  /** `written` is called once the sink is done with the chunk, which may then be filled again */
  write(chunk: Buffer, written: () => void): void;
  /** true when the sink wants the writer to wait for drained() */
  readonly saturated: boolean;
  drained(): Promise<void>;
}

export interface PassOptions {
  readonly sampler: SelectionSampler;
  readonly format: RowFormat;
  readonly sink: ChunkSink;
  readonly signal?: AbortSignal;
  /** samples read so far; called every few thousand samples */
  readonly onProgress?: (rows: number) => void;
}

export interface PassResult {
  /** samples read, labelled or not */
  readonly rows: number;
  /** labelled samples without features: not newer than the pump's previous sample */
  readonly outOfOrder: number;
}

/** How often the pass lets the event loop run: signals, stream drains, the progress bar. */
const CHECK_EVERY = 8192;

export async function writeTrainingRows(
  batches: RowBatches,
  { sampler, format, sink, signal, onProgress }: PassOptions,
): Promise<PassResult> {
  const extractor = new FeatureExtractor();
  const features = new Float64Array(FEATURE_COUNT);
  const out = new ByteBuffer((chunk, release) => sink.write(chunk, release));
  let pump: string | undefined;
  let read = 0;
  let outOfOrder = 0;

  const handle = (row: LabelledSample) => {
    read++;
    if (row.pump_id !== pump) {
      // Rows come pump by pump: a finished pump's window is never needed again.
      if (pump !== undefined) extractor.forget(pump);
      pump = row.pump_id;
    }
    // Every sample feeds the window, labelled or not, as every sample reaches inference.
    const fresh = yieldsFeatures(extractor.push(row, features));
    const state = row.state;
    if (state === null || state === undefined) return;
    if (!fresh) {
      outOfOrder++;
      sampler.skip(state);
    } else if (sampler.offer(state)) {
      format.write(out, row, features);
    }
  };

  const checkpoint = async () => {
    onProgress?.(read);
    if (signal?.aborted) throw new ExportError('aborted', 'export interrupted');
    if (sink.saturated) await sink.drained();
    else await new Promise<void>((resolve) => setImmediate(resolve));
  };

  for await (const batch of batches) {
    for (const row of batch) {
      handle(row);
      if (read % CHECK_EVERY === 0) await checkpoint();
    }
  }
  out.flush();
  onProgress?.(read);
  return { rows: read, outOfOrder };
}
