/**
 * RFC 4180 CSV, read in byte chunks. Fields are handed over as byte ranges, so a numeric column is parsed
 * straight from the bytes: a 500k-row file never becomes 500k row objects or millions of strings.
 *
 * Accepted beyond the RFC, because real exports have them: a UTF-8 byte order mark, LF or bare CR line
 * ends as well as CRLF, blank lines (skipped), and a missing line end after the last record.
 */

const COMMA = 0x2c;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const BOM = [0xef, 0xbb, 0xbf] as const;

/** Longest field accepted. A longer one is almost always a quote that is never closed. */
export const MAX_FIELD_BYTES = 1 << 20;

export interface CsvHandler {
  /**
   * Field `col` (from 0) of the record that started on `line` (from 1): bytes[start, end), with the
   * quotes removed and doubled quotes undone. The bytes are only valid during the call.
   */
  field(col: number, bytes: Buffer, start: number, end: number, line: number): void;
  /** The record that started on `line` is complete and had `fields` fields. */
  endRecord(fields: number, line: number): void;
}

export class CsvSyntaxError extends Error {
  readonly line: number;

  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
    this.line = line;
  }
}

export class CsvReader {
  readonly #handler: CsvHandler;
  /** bytes from the start of a field the previous chunk ended in the middle of */
  #pending: Buffer | undefined;
  #started = false;
  /** the previous chunk ended in CR: a LF at the start of the next one belongs to it */
  #skipLf = false;
  #col = 0;
  #line = 1;
  #recordLine = 1;

  constructor(handler: CsvHandler) {
    this.#handler = handler;
  }

  push(chunk: Uint8Array): void {
    this.#scan(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), false);
  }

  /** Call once after the last chunk: completes a last record without a line end. */
  end(): void {
    this.#scan(Buffer.alloc(0), true);
  }

  #scan(chunk: Buffer, final: boolean): void {
    const buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = undefined;
    const n = buf.length;
    let pos = 0;
    if (!this.#started) {
      if (n < BOM.length && !final) {
        this.#keep(buf, 0);
        return;
      }
      this.#started = true;
      if (buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2]) pos = BOM.length;
    }
    if (this.#skipLf && pos < n) {
      if (buf[pos] === LF) pos++;
      this.#skipLf = false;
    }

    const handler = this.#handler;
    while (pos < n) {
      const start = pos;
      if (this.#col === 0) this.#recordLine = this.#line;
      let bytes = buf;
      let fieldStart: number;
      let fieldEnd: number;
      let quoted = false;
      if (buf[pos] === QUOTE) {
        quoted = true;
        const closing = findClosingQuote(buf, pos + 1, final);
        if (closing.at === -1) {
          if (final) throw new CsvSyntaxError('a quoted field is never closed', this.#line);
          this.#keep(buf, start);
          return;
        }
        this.#line += lineBreaks(buf, pos + 1, closing.at);
        if (closing.escapes) {
          bytes = unescapeQuotes(buf, pos + 1, closing.at);
          fieldStart = 0;
          fieldEnd = bytes.length;
        } else {
          fieldStart = pos + 1;
          fieldEnd = closing.at;
        }
        pos = closing.at + 1;
        const next = buf[pos];
        if (pos < n && next !== COMMA && next !== CR && next !== LF) {
          throw new CsvSyntaxError(
            `${JSON.stringify(String.fromCharCode(next!))} after a closing quote; a quote inside a field is written ""`,
            this.#line,
          );
        }
      } else {
        let j = pos;
        while (j < n) {
          const b = buf[j];
          if (b === COMMA || b === LF || b === CR) break;
          j++;
        }
        if (j === n && !final) {
          this.#keep(buf, start);
          return;
        }
        fieldStart = pos;
        fieldEnd = j;
        pos = j;
      }

      const delimiter = pos < n ? buf[pos] : -1;
      if (delimiter === COMMA) {
        handler.field(this.#col, bytes, fieldStart, fieldEnd, this.#recordLine);
        this.#col++;
        pos++;
        continue;
      }
      // end of record: LF, CR, CRLF, or the end of the file
      if (this.#col > 0 || quoted || !isBlank(bytes, fieldStart, fieldEnd)) {
        handler.field(this.#col, bytes, fieldStart, fieldEnd, this.#recordLine);
        handler.endRecord(this.#col + 1, this.#recordLine);
      }
      this.#col = 0;
      if (delimiter === CR) {
        pos++;
        if (pos < n) {
          if (buf[pos] === LF) pos++;
        } else if (!final) this.#skipLf = true;
        this.#line++;
      } else if (delimiter === LF) {
        pos++;
        this.#line++;
      }
    }
    // a record whose last field is empty and unterminated: `a,b,` at the very end of the file
    if (final && this.#col > 0) {
      handler.field(this.#col, buf, n, n, this.#recordLine);
      handler.endRecord(this.#col + 1, this.#recordLine);
      this.#col = 0;
    }
  }

  #keep(buf: Buffer, from: number): void {
    if (buf.length - from > MAX_FIELD_BYTES) {
      throw new CsvSyntaxError(
        `a field longer than ${MAX_FIELD_BYTES} bytes starts here: probably a quote that is never closed`,
        this.#line,
      );
    }
    // a copy: the stream may reuse the chunk's memory
    this.#pending = Buffer.from(buf.subarray(from));
  }
}

/**
 * The closing quote of a field whose content starts at `from`, or -1 when the chunk ends first. A quote
 * that is the chunk's last byte may be the first half of a doubled quote, so only the final chunk decides.
 */
function findClosingQuote(buf: Buffer, from: number, final: boolean): { at: number; escapes: boolean } {
  let escapes = false;
  let j = from;
  for (;;) {
    const q = buf.indexOf(QUOTE, j);
    if (q === -1) return { at: -1, escapes };
    if (q + 1 < buf.length) {
      if (buf[q + 1] !== QUOTE) return { at: q, escapes };
      escapes = true;
      j = q + 2;
      continue;
    }
    return { at: final ? q : -1, escapes };
  }
}

function unescapeQuotes(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  let k = 0;
  for (let i = start; i < end; i++) {
    out[k++] = buf[i]!;
    if (buf[i] === QUOTE) i++;
  }
  return out.subarray(0, k);
}

/** Line breaks inside a quoted field, so error messages keep pointing at the right line. */
function lineBreaks(buf: Buffer, start: number, end: number): number {
  let count = 0;
  for (let i = start; i < end; i++) {
    if (buf[i] === LF) count++;
    else if (buf[i] === CR && buf[i + 1] !== LF) count++;
  }
  return count;
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== SPACE && buf[i] !== TAB) return false;
  return true;
}

const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** 10^k for k ≤ 22 are exact doubles */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A decimal number from bytes[start, end), surrounding blanks allowed; NaN when the text is not a finite
 * decimal (empty, `abc`, `NaN`, `Infinity`, `0x1f`). Gives exactly what Number() gives for the same text.
 */
export function parseDecimal(b: Uint8Array, start: number, end: number): number {
  while (start < end && (b[start] === SPACE || b[start] === TAB)) start++;
  while (end > start && (b[end - 1] === SPACE || b[end - 1] === TAB)) end--;
  // Fast path: at most 15 significant digits and no exponent, so the digits are an exact integer and one
  // division by an exact power of ten rounds correctly, which is what Number() does (Clinger's fast path).
  let i = start;
  const negative = b[i] === MINUS;
  if (negative || b[i] === PLUS) i++;
  let mantissa = 0;
  let digits = 0;
  let decimals = 0;
  let anyDigit = false;
  let dot = false;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= ZERO && c <= NINE) {
      anyDigit = true;
      if (dot) decimals++;
      if (mantissa === 0 && c === ZERO) continue;
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
    } else if (c === DOT && !dot) dot = true;
    else break;
  }
  if (i === end && anyDigit && digits <= 15 && decimals <= 22) {
    const value = mantissa / POW10[decimals]!;
    return negative ? -value : value;
  }
  const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', start, end);
  if (!DECIMAL.test(text)) return Number.NaN;
  const value = Number(text);
  return Number.isFinite(value) ? value : Number.NaN;
}
