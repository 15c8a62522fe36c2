/**
 * Output assembled as bytes in place: numbers are written as ASCII digits straight into a Buffer.
 * Building each row as a string instead costs a rope of some fifty pieces per row, its flattening and
 * its UTF-8 encoding, which was most of the time of a million-row export (bench/export.bench.ts).
 * `fixed` prints exactly what fixedJson from @pdm/telemetry prints (bytes.test.ts holds it to that).
 */
import { fixedJson } from '@pdm/contract';

const ZERO = 48;
const MINUS = 45;
const POINT = 46;
const POWERS = Array.from({ length: 17 }, (_, d) => 10 ** d);
/** 0000 to 9999 as ASCII, four bytes each: most numbers here are one or two such groups, copied. */
const GROUPS = new Uint8Array(40_000);
for (let i = 0; i < 10_000; i++) {
  const digits = String(i).padStart(4, '0');
  for (let j = 0; j < 4; j++) GROUPS[4 * i + j] = digits.charCodeAt(j);
}
/** enough for any line this program writes; a longer write starts a new chunk first */
const MAX_LINE_BYTES = 16 * 1024;

export class ByteBuffer {
  readonly #capacity: number;
  readonly #emit: (chunk: Buffer, release: () => void) => void;
  /** chunks the sink has released, ready to fill again: steady state allocates nothing */
  readonly #spare: Buffer[] = [];
  #buf: Buffer;
  #pos = 0;

  /**
   * `emit` receives each full chunk and calls `release` once it no longer needs it; the buffer never
   * writes into a chunk that is not released.
   */
  constructor(emit: (chunk: Buffer, release: () => void) => void, capacity = 1024 * 1024) {
    this.#capacity = Math.max(capacity, 2 * MAX_LINE_BYTES);
    this.#emit = emit;
    this.#buf = Buffer.allocUnsafe(this.#capacity);
  }

  /** Call before each line: hands the chunk over when the next line might not fit. */
  reserveLine(): void {
    if (this.#pos > this.#capacity - MAX_LINE_BYTES) this.flush();
  }

  flush(): void {
    if (this.#pos === 0) return;
    const full = this.#buf;
    this.#emit(full.subarray(0, this.#pos), () => this.#spare.push(full));
    this.#buf = this.#spare.pop() ?? Buffer.allocUnsafe(this.#capacity);
    this.#pos = 0;
  }

  byte(code: number): void {
    this.#buf[this.#pos++] = code;
  }

  /** Bytes prepared once, e.g. a JSON key or a quoted pump id. */
  bytes(chunk: Uint8Array): void {
    this.#buf.set(chunk, this.#pos);
    this.#pos += chunk.length;
  }

  text(value: string): void {
    this.#pos += this.#buf.write(value, this.#pos, 'utf8');
  }

  /** A whole number, as String() prints it. */
  integer(value: number): void {
    if (!Number.isSafeInteger(value)) {
      this.text(String(value));
      return;
    }
    if (value < 0) this.byte(MINUS);
    this.#pos = writeDigits(this.#buf, this.#pos, Math.abs(value), 1);
  }

  /**
   * `x` with `decimals` places, byte for byte what fixedJson(x, decimals) returns; `nonFinite` for NaN
   * and ±Infinity, which fixedJson prints as null.
   */
  fixed(x: number, decimals: number, nonFinite = 'null'): void {
    const factor = POWERS[decimals] as number;
    const scaled = Math.round(Math.abs(x) * factor);
    if (!Number.isSafeInteger(scaled)) {
      this.text(Number.isFinite(x) ? fixedJson(x, decimals) : nonFinite);
      return;
    }
    const buf = this.#buf;
    let p = this.#pos;
    if (x < 0 && scaled !== 0) buf[p++] = MINUS;
    const whole = Math.floor(scaled / factor);
    p = writeDigits(buf, p, whole, 1);
    if (decimals > 0) {
      buf[p++] = POINT;
      p = writeDigits(buf, p, scaled - whole * factor, decimals);
    }
    this.#pos = p;
  }
}

/** Digits of a non-negative safe integer at `p`, zero-padded to at least `width`; returns the end. */
function writeDigits(buf: Uint8Array, p: number, n: number, width: number): number {
  if (n < 10_000 && width <= 4) {
    const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
    const end = 4 * n + 4;
    for (let k = end - Math.max(digits, width); k < end; k++) buf[p++] = GROUPS[k] as number;
    return p;
  }
  let count = 1;
  while (count < 16 && n >= (POWERS[count] as number)) count++;
  if (count < width) count = width;
  const end = p + count;
  let rest = n;
  for (let i = end - 1; i >= p; i--) {
    const next = Math.floor(rest / 10);
    buf[i] = ZERO + (rest - next * 10);
    rest = next;
  }
  return end;
}
