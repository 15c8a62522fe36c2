import { fixedJson } from '@pdm/contract';
import { describe, expect, it } from 'vitest';
import { ByteBuffer } from './bytes.ts';

function written(write: (out: ByteBuffer) => void): string {
  const chunks: Buffer[] = [];
  const out = new ByteBuffer((chunk) => chunks.push(Buffer.from(chunk)));
  write(out);
  out.flush();
  return Buffer.concat(chunks).toString('utf8');
}

describe('byte buffer', () => {
  it('prints fixed-point numbers byte for byte as fixedJson does', () => {
    const values = [
      0,
      -0,
      1,
      -1,
      0.5,
      0.00005,
      0.00004999,
      -0.00004,
      -0.00005,
      9999.99995,
      10_000,
      123_456.78905,
      2960,
      1.0005,
      2.675,
      1e15,
      -1e15,
      1e16,
      9e15,
      5e-324,
      Number.MAX_SAFE_INTEGER,
      1e300,
      -1e300,
    ];
    let seed = 1;
    const random = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 20_000; i++) values.push((random() - 0.3) * 10 ** Math.floor(random() * 9));
    for (const decimals of [0, 1, 2, 3, 4, 6]) {
      const lines = written((out) => {
        for (const x of values) {
          out.reserveLine();
          out.fixed(x, decimals);
          out.byte(10);
        }
      }).split('\n');
      const expected = values.map((x) => fixedJson(x, decimals));
      const wrong = values.flatMap((x, i) =>
        lines[i] === expected[i] ? [] : [`${x}: ${lines[i]} ≠ ${expected[i]}`],
      );
      expect(wrong, `to ${decimals} decimals`).toEqual([]);
    }
  });

  it('prints NaN and infinities as the caller asks: null in JSON, empty in CSV', () => {
    expect(written((out) => out.fixed(Number.NaN, 4))).toBe('null');
    expect(written((out) => out.fixed(Number.POSITIVE_INFINITY, 4, ''))).toBe('');
  });

  it('prints whole numbers as String() does', () => {
    for (const n of [0, 7, 10, 9999, 10_000, 1_767_225_600_000, -42, Number.MAX_SAFE_INTEGER, 2 ** 60]) {
      expect(written((out) => out.integer(n))).toBe(String(n));
    }
  });

  it('never writes into a chunk the sink still holds, and refills the ones it released', async () => {
    const held: Buffer[] = [];
    const copies: string[] = [];
    const released = new Set<ArrayBufferLike>();
    let reused = 0;
    const out = new ByteBuffer((chunk, release) => {
      if (released.has(chunk.buffer)) reused++;
      copies.push(chunk.toString());
      // keep every other chunk, release the rest at once
      if (copies.length % 2 === 0) held.push(chunk);
      else {
        released.add(chunk.buffer);
        release();
      }
    }, 1);
    for (let i = 0; i < 40_000; i++) {
      out.reserveLine();
      out.text(`line ${i}\n`);
    }
    out.flush();
    expect(copies.length).toBeGreaterThan(4);
    expect(held.map((c) => c.toString())).toEqual(copies.filter((_, i) => i % 2 === 1));
    expect(reused).toBeGreaterThan(0);
    expect(copies.join('')).toBe(Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join(''));
  });
});
