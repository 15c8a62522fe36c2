import { describe, expect, it } from 'vitest';
import { ProtoReader } from './protobuf-reader.ts';
import { ProtoWriter } from './protobuf-writer.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('ProtoWriter', () => {
  it('encodes varints and tags as the protobuf documentation’s example (field 1 = 150 → 08 96 01)', () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe('089601');
  });

  it('encodes a string field with its length prefix', () => {
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
  });

  it('encodes integers beyond 32 bits', () => {
    const bytes = new ProtoWriter().int(1, 2 ** 40 + 5).finish();
    const reader = new ProtoReader(bytes);
    reader.tag();
    expect(reader.varint()).toBe(2 ** 40 + 5);
  });

  it('packs repeated ints and floats behind one length prefix', () => {
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe('2206038e029ea705');
    expect(hex(new ProtoWriter().packedFloats(7, [1, -2]).finish())).toBe('3a080000803f000000c0');
  });

  it('nests messages, including ones larger than its scratch buffer, with the right lengths', () => {
    const big = new ProtoWriter().packedInts(
      1,
      Array.from({ length: 10_000 }, (_, i) => i),
    );
    const outer = new ProtoWriter().string(1, 'head').message(2, big).int(3, 7).finish();
    const reader = new ProtoReader(outer);
    const seen: number[] = [];
    while (!reader.done) {
      const { field, wire } = reader.tag();
      seen.push(field);
      if (field === 2) expect(reader.lengthDelimited().length).toBe(big.length);
      else reader.skip(wire);
    }
    expect(seen).toEqual([1, 2, 3]);
  });

  it('refuses negative and fractional varints rather than writing garbage', () => {
    expect(() => new ProtoWriter().int(1, -1)).toThrow(RangeError);
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow(RangeError);
  });
});

describe('ProtoReader', () => {
  it('reports a truncated message instead of reading past the end', () => {
    const bytes = new ProtoWriter().string(1, 'hello').finish().subarray(0, 4);
    const reader = new ProtoReader(bytes);
    reader.tag();
    expect(() => reader.lengthDelimited()).toThrow(/past the end/);
  });

  it('skips fixed-size fields', () => {
    const bytes = new ProtoWriter().float(1, 1.5).int(2, 9).finish();
    const reader = new ProtoReader(bytes);
    reader.skip(reader.tag().wire);
    expect(reader.tag().field).toBe(2);
    expect(reader.varint()).toBe(9);
  });
});
