import { Rng } from '@pdm/random';
import { describe, expect, it } from 'vitest';
import { etaForMean, fitWeibull, gamma, sampleWeibull, weibullMean } from './weibull.ts';

function draws(n: number, beta: number, eta: number, seed = 1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => sampleWeibull(rng, { beta, eta }));
}

describe('Weibull lifetimes', () => {
  it.each([0.7, 1, 1.5, 2, 3.5])(
    'recovers shape β = %s by maximum likelihood within 10 % over 2,000 draws',
    (beta) => {
      const fit = fitWeibull(draws(2000, beta, 500, Math.round(beta * 100)));
      expect(Math.abs(fit.beta - beta) / beta).toBeLessThan(0.1);
      expect(Math.abs(fit.eta - 500) / 500).toBeLessThan(0.1);
    },
  );

  it('doubles every lifetime, and so the mean life, when η doubles', () => {
    const short = draws(1000, 2, 100, 9);
    const long = draws(1000, 2, 200, 9);
    for (const [i, t] of long.entries()) expect(t).toBeCloseTo(2 * (short[i] as number), 9);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(long) / mean(short)).toBeCloseTo(2, 9);
  });

  it('has the sample mean the formula η Γ(1 + 1/β) predicts', () => {
    const sample = draws(20_000, 2, 100, 3);
    const mean = sample.reduce((a, b) => a + b, 0) / sample.length;
    expect(Math.abs(mean - weibullMean({ beta: 2, eta: 100 })) / mean).toBeLessThan(0.02);
  });

  it('finds the η that gives a wanted mean life', () => {
    expect(weibullMean({ beta: 2.5, eta: etaForMean(150, 2.5) })).toBeCloseTo(150, 9);
  });

  it('computes Γ to many digits', () => {
    expect(gamma(1)).toBeCloseTo(1, 12);
    expect(gamma(5)).toBeCloseTo(24, 10);
    expect(gamma(0.5)).toBeCloseTo(Math.sqrt(Math.PI), 12);
    expect(gamma(1.5)).toBeCloseTo(Math.sqrt(Math.PI) / 2, 12);
  });

  it('refuses to fit fewer than two or non-positive lifetimes', () => {
    expect(() => fitWeibull([1])).toThrow(RangeError);
    expect(() => fitWeibull([1, 0])).toThrow(RangeError);
  });
});
