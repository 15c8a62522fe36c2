import { describe, expect, it } from 'vitest';
import { formatFloat } from './annotated-csv.ts';

describe('the fake InfluxDB value formats', () => {
  it('prints floats as Go does with FormatFloat(x, f, -1, 64)', () => {
    expect([1, 0.1, 1.5e-7, 1e21, -2.5e22, 123.456, -0].map(formatFloat)).toEqual([
      '1',
      '0.1',
      '0.00000015',
      '1000000000000000000000',
      '-25000000000000000000000',
      '123.456',
      '-0',
    ]);
  });
});
