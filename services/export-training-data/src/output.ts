/**
 * The output file, written so that a half-written file never looks finished: the rows go to a hidden
 * temporary file beside the target, which is renamed over the target only once it is complete and on
 * disk. The caller hands over large chunks and waits when the stream asks it to drain, so memory stays
 * bounded however many rows pass through.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { ExportError } from './errors.ts';

export class AtomicOutput {
  readonly path: string;
  readonly tempPath: string;
  readonly #stream: WriteStream;
  #failure: Error | undefined;

  private constructor(path: string, tempPath: string, stream: WriteStream) {
    this.path = path;
    this.tempPath = tempPath;
    this.#stream = stream;
    // Without a listener a failed write (disk full) would crash the process instead of failing the export.
    stream.on('error', (err) => {
      this.#failure ??= err;
    });
  }

  /** Creates the folder and the temporary file. */
  static async create(path: string): Promise<AtomicOutput> {
    const tempPath = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await mkdir(dirname(path), { recursive: true });
      // flush: fsync before close, so the rename cannot outrun the data after a power cut
      const stream = createWriteStream(tempPath, {
        flags: 'wx',
        flush: true,
        highWaterMark: 4 * 1024 * 1024,
      });
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      });
      return new AtomicOutput(path, tempPath, stream);
    } catch (err) {
      throw new ExportError('output_failed', `cannot create ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** `written` runs once the chunk is in the file (or the write failed) and its memory may be reused. */
  write(chunk: Buffer | string, written?: () => void): void {
    this.#stream.write(chunk, written);
  }

  /** true when the stream holds more than its buffer: the caller should await drained() */
  get saturated(): boolean {
    return this.#stream.writableNeedDrain || this.#failure !== undefined;
  }

  async drained(): Promise<void> {
    this.#throwIfFailed();
    if (!this.#stream.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#stream.off('drain', done);
        this.#stream.off('error', done);
        resolve();
      };
      this.#stream.on('drain', done);
      this.#stream.on('error', done);
    });
    this.#throwIfFailed();
  }

  /** Writes what is left, closes the file and renames it into place. */
  async commit(): Promise<void> {
    this.#stream.end();
    try {
      await finished(this.#stream);
      this.#throwIfFailed();
      await rename(this.tempPath, this.path);
    } catch (err) {
      await this.discard();
      if (err instanceof ExportError) throw err;
      throw new ExportError('output_failed', `cannot write ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Removes the temporary file; the target is left as it was. */
  async discard(): Promise<void> {
    this.#stream.destroy();
    await rm(this.tempPath, { force: true });
  }

  #throwIfFailed(): void {
    if (this.#failure) {
      throw new ExportError('output_failed', `cannot write ${this.path}: ${this.#failure.message}`, {
        cause: this.#failure,
      });
    }
  }
}
