import { describe, expect, it } from 'vitest';
import { CsvReader, CsvSyntaxError, MAX_FIELD_BYTES, parseDecimal } from './csv.ts';

interface Parsed {
  records: string[][];
  lines: number[];
}

/** Parses `text` fed in chunks of `chunk` bytes (all at once by default). */
function parse(text: string | Uint8Array, chunk = Number.POSITIVE_INFINITY): Parsed {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const records: string[][] = [];
  const lines: number[] = [];
  let current: string[] = [];
  const reader = new CsvReader({
    field(col, buf, start, end) {
      current[col] = buf.toString('utf8', start, end);
    },
    endRecord(fields, line) {
      expect(current).toHaveLength(fields);
      records.push(current);
      lines.push(line);
      current = [];
    },
  });
  const step = Math.min(chunk, Math.max(bytes.length, 1));
  for (let i = 0; i < bytes.length; i += step) reader.push(bytes.subarray(i, i + step));
  reader.end();
  return { records, lines };
}

/** Every way of cutting the input in two, and byte by byte: chunk borders must never change the result. */
function expectSameInAnyChunks(text: string): string[][] {
  const whole = parse(text);
  const bytes = new TextEncoder().encode(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const records: string[][] = [];
    let current: string[] = [];
    const reader = new CsvReader({
      field(col, buf, start, end) {
        current[col] = buf.toString('utf8', start, end);
      },
      endRecord() {
        records.push(current);
        current = [];
      },
    });
    reader.push(bytes.subarray(0, cut));
    reader.push(bytes.subarray(cut));
    reader.end();
    expect(records, `cut at byte ${cut}`).toEqual(whole.records);
  }
  expect(parse(text, 1)).toEqual(whole);
  return whole.records;
}

describe('CsvReader', () => {
  it('reads plain records with LF line ends', () => {
    expect(parse('a,b,c\n1,2,3\n4,5,6\n').records).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields', () => {
    const records = expectSameInAnyChunks('id,note\n"p,1","said ""hi"", left"\n"p2","two\nlines"\n');
    expect(records).toEqual([
      ['id', 'note'],
      ['p,1', 'said "hi", left'],
      ['p2', 'two\nlines'],
    ]);
  });

  it('reads CRLF and bare CR line ends like LF', () => {
    const crlf = expectSameInAnyChunks('a,b\r\n1,2\r\n"x\r\ny",3\r\n');
    expect(crlf).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['x\r\ny', '3'],
    ]);
    expect(expectSameInAnyChunks('a,b\r1,2\r')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('drops a UTF-8 byte order mark, even one split across chunks', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('ts,état\n1,2\n')]);
    for (const chunk of [1, 2, 3, 1000]) {
      expect(parse(bytes, chunk).records).toEqual([
        ['ts', 'état'],
        ['1', '2'],
      ]);
    }
  });

  it('skips blank lines but keeps counting them for line numbers', () => {
    const { records, lines } = parse('a,b\n\n1,2\r\n  \r\n\n3,4\n\n');
    expect(records).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(lines).toEqual([1, 3, 6]);
  });

  it('completes a last record without a line end, also one ending in an empty field', () => {
    expect(expectSameInAnyChunks('a,b\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(expectSameInAnyChunks('a,b\n1,')).toEqual([
      ['a', 'b'],
      ['1', ''],
    ]);
    expect(expectSameInAnyChunks('a,b\n"1","2"')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('gives empty fields, quoted or not, as empty strings', () => {
    expect(parse('a,b,c\n,"",\n').records).toEqual([
      ['a', 'b', 'c'],
      ['', '', ''],
    ]);
  });

  it('numbers records by the line they start on, counting line breaks inside quotes', () => {
    expect(parse('a\n"x\ny"\nz\n').lines).toEqual([1, 2, 4]);
  });

  it('reports a quote that is never closed, with the line it starts on', () => {
    expect(() => parse('a,b\n1,"open\n2,3\n')).toThrow(/line 2: a quoted field is never closed/);
    expect(() => parse('a,b\n1,"open\n2,3\n')).toThrow(CsvSyntaxError);
  });

  it('reports text after a closing quote', () => {
    expect(() => parse('a,b\n"x"y,2\n')).toThrow(/line 2: "y" after a closing quote/);
  });

  it('refuses a field longer than the limit instead of buffering the whole file', () => {
    const huge = `a\n"${'x'.repeat(MAX_FIELD_BYTES + 10)}`;
    expect(() => parse(huge, 64 * 1024)).toThrow(/longer than/);
  });
});

describe('parseDecimal', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const parseText = (s: string) => parseDecimal(bytes(s), 0, bytes(s).length);

  it('reads the decimals an export writes exactly as Number() does', () => {
    for (const text of [
      '0',
      '-0',
      '1',
      '12.5',
      '-3.25',
      '0.0001',
      '2957.7',
      '.5',
      '5.',
      '+7',
      '007.50',
      '1e3',
    ]) {
      expect(Object.is(parseText(text), Number(text)), text).toBe(true);
    }
    expect(parseText(' 4.5\t')).toBe(4.5);
  });

  it('agrees with Number() on random doubles printed in every way JavaScript prints them', () => {
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let k = 0; k < 5000; k++) {
      const x = (random() - 0.5) * 10 ** Math.floor(random() * 12 - 4);
      for (const text of [String(x), x.toFixed(4), x.toPrecision(15), x.toPrecision(17)]) {
        expect(parseText(text), text).toBe(Number(text));
      }
    }
  });

  it('gives NaN for anything but a finite decimal number', () => {
    for (const text of [
      '',
      '   ',
      'abc',
      'NaN',
      'Infinity',
      '-Infinity',
      '0x1f',
      '1e999',
      '1.2.3',
      '-',
      '.',
      '1,5',
      '12a',
    ]) {
      expect(parseText(text), JSON.stringify(text)).toBeNaN();
    }
  });
});
