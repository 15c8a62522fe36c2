import { describe, expect, it } from 'vitest';
import { LagHistogram } from './lag-histogram.ts';

describe('lag histogram', () => {
  it('estimates quantiles conservatively from the buckets', () => {
    const h = new LagHistogram();
    for (let i = 1; i <= 1000; i++) h.observe(i / 100); // 0.01 … 10 ms
    expect(h.quantile(0.5)).toBe(5);
    expect(h.quantile(0.99)).toBe(10);
    expect(h.quantile(0.99)).toBeGreaterThanOrEqual(9.9);
    h.observe(60_000);
    expect(h.quantile(1)).toBe(60_000);
  });

  it('starts over after a reset', () => {
    const h = new LagHistogram();
    h.observe(40);
    h.reset();
    expect([h.quantile(0.99), h.max]).toEqual([0, 0]);
  });
});
