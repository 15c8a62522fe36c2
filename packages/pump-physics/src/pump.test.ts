import { FAILURE_MODES, type FailureMode, type PumpState } from '@pdm/contract';
import { Rng } from '@pdm/random';
import { describe, expect, it } from 'vitest';
import { FAILURE_SIGNATURES } from './failure-modes.ts';
import { drawTimeToFailure, healthAt, stateOf } from './lifecycle.ts';
import { channelReadings, NO_NOISE, type PumpSpec, PumpTwin, type Reading } from './pump.ts';

const LIFETIME = { beta: 2, eta: 100 };

/** Every sample of one lifecycle per pump, spread over about `perLife` samples. */
function lifecycles(pumps: number, seed: number, perLife = 1000): Reading[][] {
  return Array.from({ length: pumps }, (_, index) => {
    const twin = new PumpTwin({ seed, index, lifetime: LIFETIME });
    const dt = twin.lifecycle.ttfH / perLife;
    return Array.from({ length: perLife + 10 }, () => twin.sample(dt));
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

describe('pump twin calibration against ISO 10816 (no chaos)', () => {
  const byState = new Map<PumpState, number[]>();
  for (const life of lifecycles(200, 11)) {
    for (const r of life) {
      const list = byState.get(r.state) ?? [];
      list.push(r.vibration_rms);
      byState.set(r.state, list);
    }
  }
  const share = (state: PumpState, test: (v: number) => boolean) => {
    const v = byState.get(state) ?? [];
    return v.filter(test).length / v.length;
  };
  const median = (state: PumpState) =>
    quantile(
      [...(byState.get(state) ?? [])].sort((a, b) => a - b),
      0.5,
    );

  it('keeps at least 90 % of HEALTHY samples below 4.5 mm/s', () => {
    expect(share('HEALTHY', (v) => v < 4.5)).toBeGreaterThanOrEqual(0.9);
  });

  it('puts at least 90 % of BROKEN samples at or above 7.1 mm/s', () => {
    expect(share('BROKEN', (v) => v >= 7.1)).toBeGreaterThanOrEqual(0.9);
  });

  it('places WARNING and FAULTY between, in that order', () => {
    expect(median('HEALTHY')).toBeLessThan(median('WARNING'));
    expect(median('WARNING')).toBeLessThan(median('FAULTY'));
    expect(median('FAULTY')).toBeLessThan(median('BROKEN'));
    expect(median('WARNING')).toBeGreaterThan(2.3);
    expect(median('FAULTY')).toBeLessThan(7.1);
  });
});

describe('pump twin lifecycle', () => {
  it('gives the same samples for the same seed and different ones for another', () => {
    const a = lifecycles(3, 5, 200);
    expect(lifecycles(3, 5, 200)).toEqual(a);
    expect(lifecycles(3, 6, 200)).not.toEqual(a);
  });

  it('gives a pump the same samples whatever the fleet size', () => {
    expect(lifecycles(2, 5, 100)[1]).toEqual(lifecycles(5, 5, 100)[1]);
  });

  it('loses health non-linearly: slowly at first, then faster towards failure', () => {
    const lifecycle = { index: 0, ttfH: 100, mode: 'BEARING_WEAR' as const, alpha: 3 };
    const lossFirstHalf = 1 - healthAt(lifecycle, 50);
    const lossSecondHalf = healthAt(lifecycle, 50) - healthAt(lifecycle, 100);
    expect(lossSecondHalf).toBeGreaterThan(3 * lossFirstHalf);
    expect(healthAt(lifecycle, 100)).toBe(0);
    expect(healthAt(lifecycle, 120)).toBe(0);
  });

  it('moves through HEALTHY, WARNING, FAULTY, BROKEN in order and ends BROKEN with no life left', () => {
    const order: PumpState[] = ['HEALTHY', 'WARNING', 'FAULTY', 'BROKEN'];
    for (const life of lifecycles(20, 8, 500)) {
      const ranks = life.map((r) => order.indexOf(r.state));
      expect(ranks.every((rank, i) => i === 0 || rank >= (ranks[i - 1] as number))).toBe(true);
      expect(life.at(-1)?.state).toBe('BROKEN');
      expect(life.at(-1)?.rulH).toBe(0);
    }
    expect(
      ['HEALTHY', 'WARNING', 'FAULTY', 'BROKEN'].map((_, i) => stateOf([100, 50, 20, 5][i] as number)),
    ).toEqual(order);
  });

  it('draws one failure mode per lifecycle and records it in every sample', () => {
    const modes = new Set<FailureMode>();
    for (const life of lifecycles(60, 2, 50)) {
      const first = life[0]?.failureMode;
      expect(life.every((r) => r.failureMode === first)).toBe(true);
      if (first) modes.add(first);
    }
    expect([...modes].sort()).toEqual([...FAILURE_MODES].sort());
  });

  it('starts a new lifecycle on renew(), healthy again', () => {
    const twin = new PumpTwin({ seed: 1, index: 0, lifetime: LIFETIME });
    twin.sample(twin.lifecycle.ttfH * 2);
    expect(twin.read().state).toBe('BROKEN');
    twin.renew();
    expect(twin.lifecycle.index).toBe(1);
    expect(twin.read().state).toBe('HEALTHY');
  });

  it('keeps the bathtub mixture off by default and moves failures early when it is on', () => {
    const early = (bathtub?: { infantShare: number; randomShare: number }) => {
      const rng = new Rng(4);
      const ttf = Array.from({ length: 4000 }, () => drawTimeToFailure(rng, { ...LIFETIME, bathtub }));
      return ttf.filter((t) => t < 10).length / ttf.length;
    };
    // Weibull(2, 100): P(T < 10) = 1 − exp(−0.01) ≈ 1 %; 20 % infants with η/20 = 5 h add about 15 %.
    expect(early()).toBeLessThan(0.02);
    expect(early({ infantShare: 0.2, randomShare: 0.1 })).toBeGreaterThan(0.12);
  });
});

describe('pump physics', () => {
  const spec: PumpSpec = {
    baseVibration: 1.3,
    ambientC: 25,
    thermalRiseC: 30,
    suctionBar: 1.5,
    headBar: 5,
    nominalFlow: 120,
    noLoadCurrent: 14,
    loadCurrent: 44,
    nominalRpm: 2960,
    variableSpeed: true,
  };

  it('follows the affinity laws: flow ∝ speed, head ∝ speed², load current ∝ speed³', () => {
    const full = channelReadings(spec, 1, 0, 'BEARING_WEAR', NO_NOISE);
    const part = channelReadings(spec, 0.8, 0, 'BEARING_WEAR', NO_NOISE);
    expect(part.flow / full.flow).toBeCloseTo(0.8, 9);
    expect((part.pressure - spec.suctionBar) / (full.pressure - spec.suctionBar)).toBeCloseTo(0.64, 9);
    expect((part.current - spec.noLoadCurrent) / (full.current - spec.noLoadCurrent)).toBeCloseTo(0.512, 9);
    expect(part.rpm / full.rpm).toBeCloseTo(0.8, 9);
  });

  it.each(FAILURE_MODES)('moves the channels as the %s signature says', (mode) => {
    const sig = FAILURE_SIGNATURES[mode];
    const healthy = channelReadings(spec, 1, 0, mode, NO_NOISE);
    const worn = channelReadings(spec, 1, 0.9, mode, NO_NOISE);
    const change = (c: 'temperature' | 'flow' | 'current') => worn[c] / healthy[c] - 1;
    const headChange = (worn.pressure - spec.suctionBar) / (healthy.pressure - spec.suctionBar) - 1;

    expect(worn.vibration_rms).toBeGreaterThan(healthy.vibration_rms * 3);
    expect(worn.temperature - healthy.temperature).toBeCloseTo(sig.temperatureRiseC * 0.9 ** 1.5, 9);
    expect(headChange).toBeCloseTo(-sig.headLoss * 0.9, 9);
    expect(change('flow')).toBeCloseTo(-sig.flowLoss * 0.9, 9);
    expect(Math.sign(change('current'))).toBe(Math.sign(sig.loadChange));
    const axialShare = (r: typeof worn) => r.vibration_z / r.vibration_x;
    const axialGrows = sig.axisWeights[2] / sig.axisWeights[0] > 0.6;
    expect(axialShare(worn) > axialShare(healthy)).toBe(axialGrows);
  });

  it('tells the modes apart by their dominant signature', () => {
    const worn = (mode: FailureMode) => channelReadings(spec, 1, 0.9, mode, NO_NOISE);
    const hottest = FAILURE_MODES.reduce((a, b) => (worn(a).temperature > worn(b).temperature ? a : b));
    const lowestPressure = FAILURE_MODES.reduce((a, b) => (worn(a).pressure < worn(b).pressure ? a : b));
    const mostAxial = FAILURE_MODES.reduce((a, b) =>
      worn(a).vibration_z / worn(a).vibration_x > worn(b).vibration_z / worn(b).vibration_x ? a : b,
    );
    expect([hottest, lowestPressure, mostAxial]).toEqual(['BEARING_WEAR', 'IMPELLER_WEAR', 'MISALIGNMENT']);
  });

  it('makes cavitation unsteady: pressure scatters more than with any other mode', () => {
    const rng = new Rng(3);
    const sd = (mode: FailureMode) => {
      const p = Array.from({ length: 2000 }, () => channelReadings(spec, 1, 0.8, mode, rng).pressure);
      const m = p.reduce((a, b) => a + b, 0) / p.length;
      return Math.sqrt(p.reduce((a, b) => a + (b - m) ** 2, 0) / p.length);
    };
    const others = FAILURE_MODES.filter((m) => m !== 'CAVITATION').map(sd);
    expect(sd('CAVITATION')).toBeGreaterThan(2 * Math.max(...others));
  });

  it('gives each pump its own baseline', () => {
    const healthyVibration = [0, 1, 2, 3].map(
      (index) => new PumpTwin({ seed: 1, index, lifetime: LIFETIME }).spec.baseVibration,
    );
    expect(new Set(healthyVibration).size).toBe(4);
  });
});
