import { describe, expect, it } from 'vitest';
import { confusionMatrix, displayOrder, rowRanges } from './report.ts';

describe('report helpers', () => {
  it('orders pump states by severity and leaves other labels in the model’s order', () => {
    expect(displayOrder(['BROKEN', 'FAULTY', 'HEALTHY', 'WARNING'])).toEqual([
      'HEALTHY',
      'WARNING',
      'FAULTY',
      'BROKEN',
    ]);
    expect(displayOrder(['BROKEN', 'HEALTHY'])).toEqual(['HEALTHY', 'BROKEN']);
    expect(displayOrder(['cat', 'dog'])).toEqual(['cat', 'dog']);
  });

  it('writes held-out rows as [first, last] runs of consecutive rows', () => {
    expect(rowRanges(Int32Array.from([0, 1, 2, 5, 7, 8]))).toEqual([
      [0, 2],
      [5, 5],
      [7, 8],
    ]);
    expect(rowRanges([])).toEqual([]);
  });

  it('counts true classes in rows and predictions in columns', () => {
    const m = confusionMatrix(['a', 'a', 'b', 'c', 'c'], ['a', 'b', 'b', 'c', 'a'], ['a', 'b', 'c']);
    expect(m.counts).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
  });
});
