import { describe, expect, it } from 'vitest';
import { parseLineProtocol } from './line-protocol.ts';

function reasonFor(line: string): string {
  const result = parseLineProtocol(line, 'ms');
  if (result.ok) return 'accepted';
  const [error] = result.errors;
  return (error ?? '').replace(/^unable to parse '.*': /s, '');
}

describe('the fake InfluxDB line protocol parser', () => {
  it('reads measurement, tags, typed fields and a timestamp in the given precision', () => {
    const result = parseLineProtocol('m,b=2,a=1 f=1.5,i=-42i,u=42u,s="x",t=true,F=F 1700000000123', 'ms');
    expect(result).toEqual({
      ok: true,
      points: [
        {
          measurement: 'm',
          tags: [
            ['a', '1'],
            ['b', '2'],
          ],
          fields: new Map<string, unknown>([
            ['f', 1.5],
            ['i', -42n],
            ['u', { unsigned: 42n }],
            ['s', 'x'],
            ['t', true],
            ['F', false],
          ]),
          time: 1_700_000_000_123_000_000n,
          seriesKey: 'm,a=1,b=2',
        },
      ],
    });
  });

  it('unescapes commas, spaces and equals signs in measurement, tag and field keys and values', () => {
    const result = parseLineProtocol(
      'my\\ meas\\,ure,tag\\ key=v\\,a\\=l\\ ue field\\=key="say \\"hi\\" \\\\ now",other=1 0',
    );
    expect(result.ok && result.points[0]).toMatchObject({
      measurement: 'my meas,ure',
      tags: [['tag key', 'v,a=l ue']],
      fields: new Map<string, unknown>([
        ['field=key', 'say "hi" \\ now'],
        ['other', 1],
      ]),
      seriesKey: 'my\\ meas\\,ure,tag\\ key=v\\,a\\=l\\ ue',
    });
  });

  it('keeps newlines inside string fields and skips blank lines and comments', () => {
    const result = parseLineProtocol('# a comment\n\nm s="two\nlines" 1\n   \nm x=2 2\n');
    expect(result.ok && result.points.map((p) => Object.fromEntries(p.fields))).toEqual([
      { s: 'two\nlines' },
      { x: 2 },
    ]);
  });

  it('reads floats in every form InfluxDB accepts, to the same double as Number()', () => {
    const texts = [
      '0',
      '-0',
      '12',
      '1.',
      '.5',
      '-.5',
      '120.5',
      '1e3',
      '1.5E-3',
      '-2.5e+10',
      '123456789012345678',
    ];
    const result = parseLineProtocol(texts.map((t, i) => `m v=${t} ${i}`).join('\n'));
    expect(result.ok && result.points.map((p) => p.fields.get('v'))).toEqual(texts.map(Number));
  });

  it('stamps a point without timestamp with the server time, truncated to the precision', () => {
    const result = parseLineProtocol('m v=1', 's', 1_700_000_000_987_654_321n);
    expect(result.ok && result.points[0]?.time).toBe(1_700_000_000_000_000_000n);
  });

  it('sorts tags so that the order on the wire does not make a new series', () => {
    const result = parseLineProtocol('m,z=1,a=2 v=1 1\nm,a=2,z=1 v=2 2');
    expect(result.ok && result.points.map((p) => p.seriesKey)).toEqual(['m,a=2,z=1', 'm,a=2,z=1']);
  });

  it.each([
    [',t=1 v=1', 'missing measurement'],
    ['m', 'missing fields'],
    ['m ', 'missing fields'],
    ['m,t=1', 'missing fields'],
    ['m, v=1', 'missing tag key'],
    ['m,=1 v=1', 'missing tag key'],
    ['m,t v=1', 'missing tag value'],
    ['m,t= v=1', 'missing tag value'],
    ['m,t=a=b v=1', 'invalid tag format'],
    ['m,t=1,t=2 v=1', 'duplicate tags'],
    ['m =1', 'missing field key'],
    ['m v=1,=2', 'missing field key'],
    ['m v=', 'missing field value'],
    ['m v=,w=1', 'missing field value'],
    ['m v', 'invalid field format'],
    ['m v=1,w', 'invalid field format'],
    ['m v=1,', 'invalid field format'],
    ['m v="abc', 'unbalanced quotes'],
    ['m v="a"b', 'invalid field format'],
    ['m v=1.2.3', 'invalid number'],
    ['m v=1i2', 'invalid number'],
    ['m v=1.5i', 'invalid number'],
    ['m v=-1u', 'invalid number'],
    ['m v=0x1F', 'invalid number'],
    ['m v=-', 'invalid number'],
    ['m v=NaN', 'invalid number'],
    ['m v=1e', 'invalid number'],
    ['m v=1e400', 'invalid float'],
    ['m v=9223372036854775808i', 'unable to parse integer 9223372036854775808: value out of range'],
    ['m v=18446744073709551616u', 'unable to parse unsigned 18446744073709551616: value out of range'],
    ['m v=yes', 'invalid boolean'],
    ['m v=tru', 'invalid boolean'],
    ['m v=+1', 'invalid boolean'],
    ['m v=1 12a', 'bad timestamp'],
    ['m v=1 1.5', 'bad timestamp'],
    ['m v=1 -', 'bad timestamp'],
    ['m v=1 1\r', 'bad timestamp'],
    ['m v=1 1 2', 'point is invalid'],
    ['m v=1 9223372036854775807', 'time outside range -9223372036854775806 - 9223372036854775806'],
  ])('rejects %j: %s', (line, reason) => {
    expect(reasonFor(line)).toBe(reason);
  });

  it('names every bad line of a batch, in InfluxDB words', () => {
    const result = parseLineProtocol('m v=1 1\nbad\nm v= 2\nm v=2 2');
    expect(result).toEqual({
      ok: false,
      errors: ["unable to parse 'bad': missing fields", "unable to parse 'm v= 2': missing field value"],
    });
  });

  it('refuses a boolean spelled like a property every object has', () => {
    expect(['m v=constructor', 'm v=toString', 'm v=__proto__'].map(reasonFor)).toEqual([
      'invalid boolean',
      'invalid boolean',
      'invalid boolean',
    ]);
  });

  it('reads each line on its own, whatever the keys of the lines before it', () => {
    const result = parseLineProtocol('mm,tag=x ab=1,a=2 1\nm,t=x a=1,ab=2 2\nm a\\=b=1 3', 'ms');
    expect(
      result.ok && result.points.map((p) => [p.measurement, p.tags, Object.fromEntries(p.fields)]),
    ).toEqual([
      ['mm', [['tag', 'x']], { ab: 1, a: 2 }],
      ['m', [['t', 'x']], { a: 1, ab: 2 }],
      ['m', [], { 'a=b': 1 }],
    ]);
    // the same text without the escape is key a with value b=1
    expect(parseLineProtocol('m a\\=b=1 3\nm a=b=1 4', 'ms')).toEqual({
      ok: false,
      errors: ["unable to parse 'm a=b=1 4': invalid boolean"],
    });
  });

  it('reads integers past 2^53 exactly and takes int64 and uint64 to their limits', () => {
    const result = parseLineProtocol(
      'm a=999999999999999i,b=9007199254740993i,c=-9223372036854775808i,d=18446744073709551615u 1',
    );
    expect(result.ok && Object.fromEntries(result.points[0]?.fields ?? [])).toEqual({
      a: 999_999_999_999_999n,
      b: 9_007_199_254_740_993n,
      c: -9_223_372_036_854_775_808n,
      d: { unsigned: 18_446_744_073_709_551_615n },
    });
  });

  it('keeps timestamps exact and inside int64 nanoseconds in every precision', () => {
    const time = (line: string, precision: 'ns' | 'ms' | 's') => {
      const result = parseLineProtocol(line, precision);
      return result.ok ? result.points[0]?.time : result.errors[0]?.replace(/^unable to parse '.*': /s, '');
    };
    const outside = 'time outside range -9223372036854775806 - 9223372036854775806';
    expect([
      time('m v=1 1700000000000000001', 'ns'),
      time('m v=1 9223372036', 's'),
      time('m v=1 -9223372036', 's'),
      time('m v=1 9223372037', 's'),
      time('m v=1 -9223372037', 's'),
      time('m v=1 9223372036854', 'ms'),
      time('m v=1 9007199254740993', 'ms'),
    ]).toEqual([
      1_700_000_000_000_000_001n,
      9_223_372_036_000_000_000n,
      -9_223_372_036_000_000_000n,
      outside,
      outside,
      9_223_372_036_854_000_000n,
      outside,
    ]);
  });
});
