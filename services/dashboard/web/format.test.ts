import { describe, expect, it } from 'vitest';
import { formatRul } from './format.ts';

describe('formatRul', () => {
  it('writes a remaining useful life with its unit: hours to a tenth, whole hours from 100, minutes below one', () => {
    expect(formatRul(12.34)).toBe('12.3 h');
    expect(formatRul(1234.5).replace(/\D/g, '')).toBe('1235');
    expect(formatRul(0.75)).toBe('45 min');
    expect(formatRul(0.001)).toBe('< 1 min');
    expect(formatRul(undefined)).toBe('—');
  });

  it('shows no more digits than a value rounded to two significant digits has', () => {
    expect(formatRul(12, true)).toBe('12 h');
    expect(formatRul(4.5, true)).toBe('4.5 h');
    expect(formatRul(0.5, true)).toBe('30 min');
  });
});
