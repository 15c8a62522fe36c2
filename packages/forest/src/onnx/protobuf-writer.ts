/**
 * A minimal protobuf encoder: the wire types ONNX needs (varint, fixed32, length-delimited). Nested messages
 * keep their chunks by reference, so the megabytes of tree arrays are copied once, into the final buffer.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #chunkBytes = 0;
  #buf = new Uint8Array(256);
  #pos = 0;

  /** bytes written so far */
  get length(): number {
    return this.#chunkBytes + this.#pos;
  }

  /** int32/int64/uint64/enum/bool field; ONNX only needs non-negative values here */
  int(field: number, value: number): this {
    this.#tag(field, WIRE_VARINT);
    this.#varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.#tag(field, WIRE_FIXED32);
    this.#reserve(4);
    new DataView(this.#buf.buffer).setFloat32(this.#pos, value, true);
    this.#pos += 4;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WIRE_LENGTH_DELIMITED);
    this.#varint(value.length);
    this.#append(value);
    return this;
  }

  message(field: number, inner: ProtoWriter): this {
    this.#tag(field, WIRE_LENGTH_DELIMITED);
    this.#varint(inner.length);
    for (const chunk of inner.#flushedChunks()) this.#append(chunk);
    return this;
  }

  /** bytes that already are encoded fields (tag and value), copied from another message */
  raw(fields: Uint8Array): this {
    this.#append(fields);
    return this;
  }

  /** repeated float, packed: one length prefix, then little-endian float32 values */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const bytes = new Uint8Array(4 * values.length);
    const view = new DataView(bytes.buffer);
    for (let k = 0; k < values.length; k++) view.setFloat32(4 * k, values[k]!, true);
    return this.bytes(field, bytes);
  }

  /** repeated int64, packed varints */
  packedInts(field: number, values: ArrayLike<number>): this {
    let size = 0;
    for (let k = 0; k < values.length; k++) size += varintSize(values[k]!);
    const bytes = new Uint8Array(size);
    let pos = 0;
    for (let k = 0; k < values.length; k++) pos = writeVarint(bytes, pos, values[k]!);
    return this.bytes(field, bytes);
  }

  /** repeated string (repeated fields of length-delimited type cannot be packed); repeats are encoded once */
  strings(field: number, values: ArrayLike<string>): this {
    const encoded = new Map<string, Uint8Array>();
    for (let k = 0; k < values.length; k++) {
      const s = values[k]!;
      const bytes = encoded.get(s) ?? utf8.encode(s);
      encoded.set(s, bytes);
      this.bytes(field, bytes);
    }
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let pos = 0;
    for (const chunk of this.#flushedChunks()) {
      out.set(chunk, pos);
      pos += chunk.length;
    }
    return out;
  }

  #flushedChunks(): readonly Uint8Array[] {
    this.#flush();
    return this.#chunks;
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  #varint(value: number): void {
    this.#reserve(10);
    this.#pos = writeVarint(this.#buf, this.#pos, value);
  }

  /** Small writes go to the scratch buffer; large ones become chunks of their own, not copied. */
  #append(bytes: Uint8Array): void {
    if (bytes.length <= 64) {
      this.#reserve(bytes.length);
      this.#buf.set(bytes, this.#pos);
      this.#pos += bytes.length;
      return;
    }
    this.#flush();
    this.#chunks.push(bytes);
    this.#chunkBytes += bytes.length;
  }

  #reserve(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    this.#flush();
    // most writers hold a few fields; the ones that fill their buffer (millions of node modes) get larger ones
    this.#buf = new Uint8Array(Math.max(n, Math.min(65_536, 2 * this.#buf.length)));
  }

  #flush(): void {
    if (this.#pos === 0) return;
    const chunk = this.#buf.slice(0, this.#pos);
    this.#chunks.push(chunk);
    this.#chunkBytes += chunk.length;
    this.#pos = 0;
  }
}

function varintSize(value: number): number {
  checkVarint(value);
  let size = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) size++;
  return size;
}

/** Writes a non-negative integer (up to 2⁵³) as a base-128 varint; returns the position after it. */
function writeVarint(bytes: Uint8Array, pos: number, value: number): number {
  checkVarint(value);
  let v = value;
  while (v >= 128) {
    bytes[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  bytes[pos++] = v;
  return pos;
}

function checkVarint(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`varint must be a non-negative safe integer, got ${value}`);
  }
}
