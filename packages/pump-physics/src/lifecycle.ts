/** One life of a pump, new to failed: when it fails, how, and how its hidden health falls on the way. */

import { FAILURE_MODES, type FailureMode, type PumpState } from '@pdm/contract';
import type { Rng } from '@pdm/random';
import { sampleWeibull, type WeibullParams } from './weibull.ts';

/**
 * Optional bathtub curve: shares of lifecycles that end early from infant mortality (β = 0.5, η/20)
 * or at random (exponential, mean η). The rest wear out with the main Weibull(β, η).
 */
export interface BathtubMixture {
  readonly infantShare: number;
  readonly randomShare: number;
}

export interface LifetimeModel extends WeibullParams {
  /** hours of operation; η and mean life are in the same unit */
  readonly bathtub?: BathtubMixture | undefined;
}

export interface Lifecycle {
  readonly index: number;
  /** time to failure, hours of operation */
  readonly ttfH: number;
  readonly mode: FailureMode;
  /**
   * Exponent α of h(t) = 1 − (t / T)^α. α > 1 gives the P-F curve seen in practice: a long quiet
   * phase, then accelerating loss of health.
   */
  readonly alpha: number;
}

/** Health bands (percent) that define the ground-truth state. */
export const STATE_FLOORS_PCT: Readonly<Record<Exclude<PumpState, 'BROKEN'>, number>> = {
  HEALTHY: 65,
  WARNING: 40,
  FAULTY: 15,
};

export function drawLifecycle(rng: Rng, model: LifetimeModel, index: number): Lifecycle {
  return {
    index,
    ttfH: drawTimeToFailure(rng, model),
    mode: rng.pick(FAILURE_MODES),
    alpha: rng.uniform(2.5, 3.5),
  };
}

export function drawTimeToFailure(rng: Rng, model: LifetimeModel): number {
  const { bathtub } = model;
  if (bathtub) {
    const u = rng.next();
    if (u < bathtub.infantShare) return sampleWeibull(rng, { beta: 0.5, eta: model.eta / 20 });
    if (u < bathtub.infantShare + bathtub.randomShare) return sampleWeibull(rng, { beta: 1, eta: model.eta });
  }
  return sampleWeibull(rng, model);
}

/** Hidden health in [0, 1] after tH hours of operation: 1 new, 0 failed. */
export function healthAt(lifecycle: Lifecycle, tH: number): number {
  if (tH >= lifecycle.ttfH) return 0;
  return 1 - (tH / lifecycle.ttfH) ** lifecycle.alpha;
}

export function stateOf(healthPct: number): PumpState {
  if (healthPct >= STATE_FLOORS_PCT.HEALTHY) return 'HEALTHY';
  if (healthPct >= STATE_FLOORS_PCT.WARNING) return 'WARNING';
  if (healthPct >= STATE_FLOORS_PCT.FAULTY) return 'FAULTY';
  return 'BROKEN';
}
