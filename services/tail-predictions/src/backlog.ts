/**
 * Where to start reading a log so that the last N wanted rows come first: a scan backwards from the end
 * of the file, a chunk at a time, so a day's log of gigabytes costs only what the rows need.
 */
import { open } from 'node:fs/promises';
import { lineText } from './lines.ts';

const CHUNK_BYTES = 64 * 1024;
/**
 * How far back to look for matching rows. A filter that matches nothing would otherwise read the whole
 * day's log before the first live row; past this the view starts with what it found.
 */
export const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * The byte offset of the first of the last `rows` complete lines for which `counts` is true, in the
 * first `size` bytes of the file. A trailing line without its newline is never counted: reading from
 * the returned offset shows it once it is complete.
 */
export async function backlogStart(
  path: string,
  size: number,
  rows: number,
  counts: (line: string) => boolean,
  maxBytes = MAX_BACKLOG_BYTES,
): Promise<number> {
  const file = await open(path, 'r');
  try {
    // `buffer` holds the bytes [bufferStart, bufferEnd) of the file: the chunks read so far, minus the
    // lines already looked at, so memory stays at a chunk plus one line.
    let buffer = Buffer.alloc(0);
    let bufferStart = size;

    const readEarlier = async (): Promise<boolean> => {
      if (bufferStart === 0 || size - bufferStart >= maxBytes) return false;
      const from = Math.max(0, bufferStart - CHUNK_BYTES);
      const chunk = Buffer.alloc(bufferStart - from);
      let done = 0;
      while (done < chunk.length) {
        const { bytesRead } = await file.read(chunk, done, chunk.length - done, from + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      buffer = Buffer.concat([chunk, buffer]);
      bufferStart = from;
      return true;
    };

    /** The newline before `offset`; -1 at the start of the file; undefined when looking back too far. */
    const newlineBefore = async (offset: number): Promise<number | undefined> => {
      for (;;) {
        const i = offset > bufferStart ? buffer.lastIndexOf(NEWLINE, offset - bufferStart - 1) : -1;
        if (i !== -1) return size - (bufferStart + i + 1) > maxBytes ? undefined : bufferStart + i;
        if (!(await readEarlier())) return bufferStart === 0 ? -1 : undefined;
      }
    };

    const last = await newlineBefore(size);
    if (last === undefined) return size;
    if (last === -1) return 0;
    if (rows <= 0) return last + 1;
    let end = last;
    let found = 0;
    for (;;) {
      const previous = await newlineBefore(end);
      if (previous === undefined) return end + 1;
      const line = lineText(buffer, previous + 1 - bufferStart, end - bufferStart);
      if (line !== '' && counts(line)) {
        found += 1;
        if (found === rows) return previous + 1;
      }
      if (previous === -1) return 0;
      end = previous;
      buffer = buffer.subarray(0, end - bufferStart + 1);
    }
  } finally {
    await file.close();
  }
}
