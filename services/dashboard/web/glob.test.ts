import { describe, expect, it } from 'vitest';
import { globToRegExp } from './glob.ts';

describe('globToRegExp', () => {
  it('matches the whole id, * as any run and ? as one character', () => {
    const glob = globToRegExp('pump-00?1*');
    expect(glob.test('pump-0011')).toBe(true);
    expect(glob.test('pump-00210')).toBe(true);
    expect(glob.test('pump-001')).toBe(false);
    expect(glob.test('xpump-0011')).toBe(false);
  });

  it('takes regular expression characters literally', () => {
    expect(globToRegExp('a.b').test('a.b')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('(x)+').test('(x)+')).toBe(true);
  });

  it('is case-sensitive, and an empty glob matches every id', () => {
    expect(globToRegExp('Pump*').test('pump-1')).toBe(false);
    expect(globToRegExp('').test('anything')).toBe(true);
  });
});
