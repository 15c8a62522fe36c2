import { describe, expect, it } from 'vitest';
import { BACKOFF_MAX_MS, retryDelayMs } from './backoff.ts';

describe('retry backoff', () => {
  it('doubles with each failure', () => {
    const top = () => 1;
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, top))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('draws each wait between half and all of its ceiling', () => {
    expect(retryDelayMs(3, () => 0)).toBe(2000);
    expect(retryDelayMs(3, () => 0.5)).toBe(3000);
  });

  it('never waits longer than the cap, and never gives up', () => {
    expect(retryDelayMs(1000, () => 1)).toBe(BACKOFF_MAX_MS);
    expect(retryDelayMs(1000, () => 0)).toBe(BACKOFF_MAX_MS / 2);
  });
});
