import { describe, expect, it } from 'vitest';
import { matchesPattern, PUMP_PATTERN } from './pattern.ts';

describe('pump id patterns', () => {
  it.each([
    ['pump-00042', 'pump-00042', true],
    ['pump-000*', 'pump-00042', true],
    ['pump-000*', 'pump-00142', false],
    ['pump-0004?', 'pump-00042', true],
    ['*', 'anything', true],
    ['pump.1', 'pumpx1', false],
  ])('%s matches %s: %s', (pattern, id, expected) => {
    expect(matchesPattern(pattern, id)).toBe(expected);
  });

  it('admits only pump id characters and wildcards', () => {
    expect(PUMP_PATTERN.test('pump-*')).toBe(true);
    expect(PUMP_PATTERN.test('pump/#')).toBe(false);
    expect(PUMP_PATTERN.test('')).toBe(false);
  });
});
