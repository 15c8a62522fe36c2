import { describe, expect, it } from 'vitest';
import { formatRfc3339Nano, parseRfc3339 } from './rfc3339.ts';

describe('the fake InfluxDB value formats', () => {
  it('prints times as RFC3339Nano, trimming trailing zeros, and reads them back', () => {
    const times = [
      0n,
      1_700_000_000_000_000_000n,
      1_700_000_000_123_000_000n,
      1_700_000_000_000_000_001n,
      -1n,
    ];
    expect(times.map(formatRfc3339Nano)).toEqual([
      '1970-01-01T00:00:00Z',
      '2023-11-14T22:13:20Z',
      '2023-11-14T22:13:20.123Z',
      '2023-11-14T22:13:20.000000001Z',
      '1969-12-31T23:59:59.999999999Z',
    ]);
    expect(times.map(formatRfc3339Nano).map(parseRfc3339)).toEqual(times);
    expect(parseRfc3339('2023-11-14T23:13:20+01:00')).toBe(1_700_000_000_000_000_000n);
  });
});
