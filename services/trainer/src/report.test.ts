import { describe, expect, it } from 'vitest';
import { confusionMatrix, displayOrder } from './report.ts';

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

  it('counts true classes in rows and predictions in columns', () => {
    const m = confusionMatrix(['a', 'a', 'b', 'c', 'c'], ['a', 'b', 'b', 'c', 'a'], ['a', 'b', 'c']);
    expect(m.counts).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
  });
});
