/** Whole lines out of byte chunks: a line is let out only once its newline has arrived. */

/** Longer than any prediction (about 300 bytes); a line past this is garbage, skipped rather than kept. */
export const MAX_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface Line {
  readonly text: string;
  /** byte offset of the line in its file, for reports */
  readonly offset: number;
}

export interface Split {
  readonly lines: Line[];
  /** offset of a line dropped for being longer than MAX_LINE_BYTES */
  readonly tooLongAt?: number;
}

/** The text of bytes [start, end), without a Windows line ending. */
export function lineText(buffer: Buffer, start: number, end: number): string {
  const stop = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
  return buffer.toString('utf8', start, stop);
}

export class LineSplitter {
  // Bytes, not text: a chunk may end inside a multi-byte character.
  #pending = Buffer.alloc(0);
  #pendingAt: number;
  #skipping = false;

  constructor(offset: number) {
    this.#pendingAt = offset;
  }

  /** Bytes of a line still waiting for its newline. */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /** Where the waiting line starts. */
  get pendingAt(): number {
    return this.#pendingAt;
  }

  push(chunk: Buffer): Split {
    const data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    const lines: Line[] = [];
    let start = 0;
    for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
      if (this.#skipping) this.#skipping = false;
      else {
        const text = lineText(data, start, nl);
        if (text.trim() !== '') lines.push({ text, offset: this.#pendingAt + start });
      }
      start = nl + 1;
    }
    this.#pendingAt += start;
    const rest = data.subarray(start);
    if (!this.#skipping && rest.length <= MAX_LINE_BYTES) {
      // A copy, so the rest of a large chunk is not kept alive by a few pending bytes.
      this.#pending = Buffer.from(rest);
      return { lines };
    }
    // Too long: drop it up to its newline, and say so once.
    const tooLongAt = this.#skipping ? undefined : this.#pendingAt;
    this.#skipping = true;
    this.#pendingAt += rest.length;
    this.#pending = Buffer.alloc(0);
    return tooLongAt === undefined ? { lines } : { lines, tooLongAt };
  }

  /** Starts over at `offset`, e.g. after the file was truncated; a waiting line is dropped. */
  reset(offset: number): void {
    this.#pending = Buffer.alloc(0);
    this.#pendingAt = offset;
    this.#skipping = false;
  }
}
