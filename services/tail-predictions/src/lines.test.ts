import { describe, expect, it } from 'vitest';
import { LineSplitter, MAX_LINE_BYTES } from './lines.ts';

describe('splitting bytes into whole lines', () => {
  it('holds a partial line back until its newline arrives', () => {
    const splitter = new LineSplitter(100);
    expect(splitter.push(Buffer.from('{"a":1}\n{"b"')).lines).toEqual([{ text: '{"a":1}', offset: 100 }]);
    expect(splitter.pendingBytes).toBe(4);
    expect(splitter.push(Buffer.from(':2}\n')).lines).toEqual([{ text: '{"b":2}', offset: 108 }]);
    expect(splitter.pendingBytes).toBe(0);
  });

  it('keeps a character whose bytes arrive in two chunks whole', () => {
    const bytes = Buffer.from('°C\n');
    const splitter = new LineSplitter(0);
    expect(splitter.push(bytes.subarray(0, 1)).lines).toEqual([]);
    expect(splitter.push(bytes.subarray(1)).lines).toEqual([{ text: '°C', offset: 0 }]);
  });

  it('drops Windows line endings and skips blank lines', () => {
    expect(new LineSplitter(0).push(Buffer.from('a\r\n\n  \nb\n')).lines.map((l) => l.text)).toEqual([
      'a',
      'b',
    ]);
  });

  it('skips a line longer than the limit, says so once, and goes on after its newline', () => {
    const splitter = new LineSplitter(0);
    const first = splitter.push(Buffer.alloc(MAX_LINE_BYTES + 1, 'x'));
    expect(first).toEqual({ lines: [], tooLongAt: 0 });
    expect(splitter.push(Buffer.alloc(MAX_LINE_BYTES + 1, 'x'))).toEqual({ lines: [] });
    const after = splitter.push(Buffer.from('xxx\nok\n'));
    expect(after).toEqual({ lines: [{ text: 'ok', offset: 2 * (MAX_LINE_BYTES + 1) + 4 }] });
  });
});
