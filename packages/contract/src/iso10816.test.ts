import { describe, expect, it } from 'vitest';
import { DEFAULT_ISO_CLASS, isoZone } from './iso10816.ts';

describe('ISO 10816 grading', () => {
  it('defaults to group 2 on a flexible foundation: A/B 2.3, B/C 4.5, C/D 7.1 mm/s', () => {
    expect(DEFAULT_ISO_CLASS).toBe('10816-3-group2-flexible');
    expect([0, 2.29, 2.3, 4.49, 4.5, 7.09, 7.1, 50].map((v) => isoZone(v))).toEqual([
      'A',
      'A',
      'B',
      'B',
      'C',
      'C',
      'D',
      'D',
    ]);
  });

  it('grades by the selected machine class', () => {
    expect(isoZone(3, '10816-3-group2-rigid')).toBe('C');
    expect(isoZone(3, '10816-1-class-IV')).toBe('B');
    expect(isoZone(0.8, '10816-1-class-I')).toBe('B');
  });
});
