/** Weibull lifetimes: sampling, moments and the maximum-likelihood fit used to check them. */
import type { Rng } from '@pdm/random';

export interface WeibullParams {
  /** shape β: < 1 infant mortality, 1 random failures, > 1 wear-out */
  readonly beta: number;
  /** scale η (characteristic life): 63.2 % of units have failed by then */
  readonly eta: number;
}

/** Inverse-CDF draw: t = η (−ln U)^(1/β). */
export function sampleWeibull(rng: Rng, { beta, eta }: WeibullParams): number {
  return eta * (-Math.log(rng.nextOpen())) ** (1 / beta);
}

export function weibullMean({ beta, eta }: WeibullParams): number {
  return eta * gamma(1 + 1 / beta);
}

/** Scale η that gives a wanted mean life for shape β. */
export function etaForMean(mean: number, beta: number): number {
  return mean / gamma(1 + 1 / beta);
}

/** Γ(x) for x > 0, Lanczos approximation (g = 7, n = 9): about 15 significant digits. */
export function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0] as number;
  for (let i = 1; i < c.length; i++) sum += (c[i] as number) / (z + i);
  const t = z + 7.5;
  return Math.sqrt(2 * Math.PI) * t ** (z + 0.5) * Math.exp(-t) * sum;
}

/**
 * Maximum-likelihood Weibull fit of complete (uncensored) lifetimes.
 * Solves Σ tᵢ^β ln tᵢ / Σ tᵢ^β − 1/β − mean(ln tᵢ) = 0 for β by Newton's method, then η in closed form.
 */
export function fitWeibull(lifetimes: readonly number[]): WeibullParams {
  if (lifetimes.length < 2) throw new RangeError('fitWeibull needs at least two lifetimes');
  if (lifetimes.some((t) => !(t > 0))) throw new RangeError('fitWeibull needs positive lifetimes');
  const logs = lifetimes.map(Math.log);
  const meanLog = logs.reduce((a, b) => a + b, 0) / logs.length;
  let beta = 1.2;
  for (let iter = 0; iter < 100; iter++) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < lifetimes.length; i++) {
      const l = logs[i] as number;
      const p = Math.exp(beta * l);
      s0 += p;
      s1 += p * l;
      s2 += p * l * l;
    }
    const f = s1 / s0 - 1 / beta - meanLog;
    const df = (s2 * s0 - s1 * s1) / (s0 * s0) + 1 / (beta * beta);
    const next = Math.max(beta / 2, beta - f / df);
    if (Math.abs(next - beta) < 1e-10 * beta) {
      beta = next;
      break;
    }
    beta = next;
  }
  const eta = (lifetimes.reduce((acc, t) => acc + t ** beta, 0) / lifetimes.length) ** (1 / beta);
  return { beta, eta };
}
