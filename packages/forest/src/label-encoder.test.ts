import { describe, expect, it } from 'vitest';
import { compareCodePoints, LabelEncoder } from './label-encoder.ts';

describe('LabelEncoder', () => {
  it('sorts classes by code point, as numpy np.unique orders strings', () => {
    const labels = ['b', 'a', 'B', 'é', '10', '9', '😀', '\uFFFD', 'a', 'b'];
    // np.unique(labels) == ['10', '9', 'B', 'a', 'b', 'é', '\ufffd', '😀']
    expect(LabelEncoder.fit(labels).classes).toEqual(['10', '9', 'B', 'a', 'b', 'é', '\uFFFD', '😀']);
  });

  it('differs from JavaScript’s default sort where UTF-16 order is not code point order', () => {
    const labels = ['😀', '\uFFFD'];
    expect([...labels].sort()).toEqual(['😀', '\uFFFD']);
    expect([...labels].sort(compareCodePoints)).toEqual(['\uFFFD', '😀']);
  });

  it('orders a prefix before the longer string', () => {
    expect(compareCodePoints('HEALTHY', 'HEALTHY_2')).toBeLessThan(0);
    expect(compareCodePoints('HEALTHY_2', 'HEALTHY')).toBeGreaterThan(0);
    expect(compareCodePoints('x', 'x')).toBe(0);
  });

  it('round-trips labels through their codes', () => {
    const labels = ['WARNING', 'HEALTHY', 'FAULTY', 'HEALTHY'];
    const encoder = LabelEncoder.fit(labels);
    const codes = encoder.transform(labels);
    expect(Array.from(codes)).toEqual([2, 1, 0, 1]);
    expect(encoder.inverseTransform(codes)).toEqual(labels);
  });

  it('rejects a label it was not fitted on, and codes out of range', () => {
    const encoder = LabelEncoder.fit(['a', 'b']);
    expect(() => encoder.transform(['a', 'c'])).toThrow(/unknown label "c" at index 1/);
    expect(() => encoder.inverseTransform([2])).toThrow(RangeError);
  });

  it('refuses classes that are not sorted and unique', () => {
    expect(() => new LabelEncoder(['b', 'a'])).toThrow(RangeError);
    expect(() => new LabelEncoder(['a', 'a'])).toThrow(RangeError);
  });
});
