import {
  type LifetimeModel,
  MODE_SETTINGS,
  MODES,
  modeLifetime,
  PumpTwin,
  weibullMean,
} from '@pdm/pump-physics';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLOCK, resolveClock } from './clock.ts';

const unset = {
  mode: undefined,
  weibullBeta: 2,
  weibullEtaH: undefined,
  intervalS: undefined,
  postFailureSamples: undefined,
  infantShare: 0,
  randomShare: 0,
} as const;

describe('training clock', () => {
  it('keeps the long-standing defaults when no mode is given: η 1000 h, a sample every 600 s, 10 BROKEN samples', () => {
    expect(resolveClock(unset)).toEqual({
      lifetime: { beta: 2, eta: DEFAULT_CLOCK.weibullEtaH, bathtub: { infantShare: 0, randomShare: 0 } },
      intervalS: 600,
      postFailureSamples: 10,
    });
  });

  it.each(MODES)(
    'draws %s mode’s lifetimes as the production simulator does, at its one sample a second',
    (mode) => {
      const clock = resolveClock({ ...unset, mode });
      expect(clock.lifetime).toEqual({ ...modeLifetime(mode, 2), bathtub: undefined });
      expect(weibullMean(clock.lifetime) * 3600).toBeCloseTo(MODE_SETTINGS[mode].meanLifeS, 6);
      expect(clock.intervalS).toBe(1);
      expect(clock.postFailureSamples).toBe(MODE_SETTINGS[mode].repairDowntimeS);
    },
  );

  it('derives η from the mode’s mean life at the β it is given, as the production simulator’s --weibull-beta does', () => {
    const clock = resolveClock({ ...unset, mode: 'ACCELERATED', weibullBeta: 3.5 });
    expect(clock.lifetime).toEqual({ ...modeLifetime('ACCELERATED', 3.5), bathtub: undefined });
    expect(weibullMean(clock.lifetime)).toBeCloseTo(20 / 60, 9);
  });

  it('lets explicit flags win over the mode, and counts the downtime’s samples at the interval given', () => {
    const clock = resolveClock({ ...unset, mode: 'NOMINAL', intervalS: 60 });
    expect(clock.intervalS).toBe(60);
    expect(clock.postFailureSamples).toBe(30);
    expect(clock.lifetime.eta).toBe(modeLifetime('NOMINAL').eta);
    const overridden = resolveClock({
      ...unset,
      mode: 'STRESS',
      weibullEtaH: 5,
      intervalS: 2,
      postFailureSamples: 3,
      infantShare: 0.1,
    });
    expect(overridden).toEqual({
      lifetime: { beta: 2, eta: 5, bathtub: { infantShare: 0.1, randomShare: 0 } },
      intervalS: 2,
      postFailureSamples: 3,
    });
  });

  it('with a mode draws each pump’s lifetime as its production twin does, and without one as old runs of a seed did', () => {
    const twinLife = (lifetime: LifetimeModel, index: number) =>
      new PumpTwin({ seed: 3, index, lifetime }).lifecycle;
    const moded = resolveClock({ ...unset, mode: 'STRESS' }).lifetime;
    const plain = resolveClock(unset).lifetime;
    for (let index = 0; index < 20; index++) {
      expect(twinLife(moded, index)).toEqual(twinLife(modeLifetime('STRESS'), index));
      // Without a mode the zero-share mixture still draws its number: the lifetimes of a seed stay put.
      const withoutMixture = { beta: plain.beta, eta: plain.eta };
      expect(twinLife(plain, index).ttfH).not.toBe(twinLife(withoutMixture, index).ttfH);
    }
  });
});
