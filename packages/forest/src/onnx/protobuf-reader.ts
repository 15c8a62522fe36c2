/** A minimal protobuf decoder: walks fields and skips what it does not need, without decoding it. */

export interface FieldTag {
  readonly field: number;
  readonly wire: number;
}

export class ProtoReader {
  readonly #bytes: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.#bytes = bytes;
    this.#pos = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#pos >= this.#end;
  }

  /** offset of the next field in the input, so a caller can copy a field's bytes unparsed */
  get position(): number {
    return this.#pos;
  }

  tag(): FieldTag {
    const key = this.varint();
    return { field: Math.floor(key / 8), wire: key % 8 };
  }

  /** varints up to 2⁵³; larger values (never written by ONNX exporters for sizes) lose precision */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let k = 0; k < 10; k++) {
      if (this.#pos >= this.#end) throw new RangeError('truncated varint');
      const byte = this.#bytes[this.#pos++]!;
      value += (byte & 127) * scale;
      if (byte < 128) return value;
      scale *= 128;
    }
    throw new RangeError('varint longer than 10 bytes');
  }

  /** contents of a length-delimited field, as a view into the input */
  lengthDelimited(): Uint8Array {
    const length = this.varint();
    const start = this.#pos;
    if (start + length > this.#end) throw new RangeError('length-delimited field runs past the end');
    this.#pos += length;
    return this.#bytes.subarray(start, start + length);
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.#advance(8);
        return;
      case 2:
        this.lengthDelimited();
        return;
      case 5:
        this.#advance(4);
        return;
      default:
        throw new RangeError(`unsupported wire type ${wire}`);
    }
  }

  #advance(n: number): void {
    if (this.#pos + n > this.#end) throw new RangeError('fixed-size field runs past the end');
    this.#pos += n;
  }
}
