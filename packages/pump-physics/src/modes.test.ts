import { describe, expect, it } from 'vitest';
import { describeModes, MODE_SETTINGS, MODES, modeLifetime, modeSchema, repairSamples } from './modes.ts';
import { PumpTwin } from './pump.ts';
import { gamma, weibullMean } from './weibull.ts';

describe('run modes', () => {
  it('turns STRESS mode’s mean life of 150 s into η = 150 s / Γ(1.5), in hours, for β = 2', () => {
    const { beta, eta } = modeLifetime('STRESS');
    expect(beta).toBe(2);
    expect(eta).toBeCloseTo(150 / 3600 / gamma(1.5), 12);
    expect(eta).toBeCloseTo(0.047016, 6);
  });

  it.each(MODES)('keeps %s mode’s mean life whatever the shape β', (mode) => {
    for (const beta of [1, 2, 3.5]) {
      expect(weibullMean(modeLifetime(mode, beta)) * 3600).toBeCloseTo(MODE_SETTINGS[mode].meanLifeS, 6);
    }
  });

  it.each(MODES)('gives %s-mode pumps lifetimes that average the mode’s mean life within 4 %', (mode) => {
    const lifetime = modeLifetime(mode);
    const n = 2000;
    let sumH = 0;
    for (let index = 0; index < n; index++)
      sumH += new PumpTwin({ seed: 11, index, lifetime }).lifecycle.ttfH;
    const meanS = (sumH / n) * 3600;
    expect(Math.abs(meanS - MODE_SETTINGS[mode].meanLifeS) / MODE_SETTINGS[mode].meanLifeS).toBeLessThan(
      0.04,
    );
  });

  it('counts the BROKEN samples of a repair downtime at a sample interval, a started sample included', () => {
    expect(repairSamples('STRESS', 1)).toBe(15);
    expect(repairSamples('NOMINAL', 1)).toBe(1800);
    expect(repairSamples('ACCELERATED', 7)).toBe(9);
  });

  it('reads a mode name in any case and names the choices when it is none of them', () => {
    expect(modeSchema.parse('stress')).toBe('STRESS');
    expect(modeSchema.parse('Accelerated')).toBe('ACCELERATED');
    const bad = modeSchema.safeParse('turbo');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('expected one of NOMINAL, ACCELERATED, STRESS');
  });

  it('describes each mode’s mean life and η for --help', () => {
    expect(describeModes()).toBe(
      'NOMINAL (mean life 27 h, η 30.47 h, repair 30 min), ACCELERATED (mean life 20 min, η 0.3761 h, repair 1 min), ' +
        'STRESS (mean life 2.5 min, η 0.04702 h, repair 15 s)',
    );
  });
});
