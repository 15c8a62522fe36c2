/**
 * Run modes: how fast a production pump ages and how often it reports. One table for both simulators,
 * so that a model trained on a mode's clock (`training-simulator --mode stress`) fits a fleet run in that
 * mode (`production-simulator --mode stress`). Same physics, on a shorter or longer clock.
 */
import { z } from 'zod';
import { etaForMean, type WeibullParams } from './weibull.ts';

export const MODES = ['NOMINAL', 'ACCELERATED', 'STRESS'] as const;
export type Mode = (typeof MODES)[number];

export interface ModeSettings {
  /** mean time to failure in seconds of operation (device time) */
  readonly meanLifeS: number;
  /** how long a broken pump stays down (still reporting BROKEN) before its repair */
  readonly repairDowntimeS: number;
}

export const MODE_SETTINGS: Readonly<Record<Mode, ModeSettings>> = {
  NOMINAL: { meanLifeS: 27 * 3600, repairDowntimeS: 1800 },
  ACCELERATED: { meanLifeS: 20 * 60, repairDowntimeS: 60 },
  STRESS: { meanLifeS: 150, repairDowntimeS: 15 },
};

/** Seconds between a production pump's samples, in every mode (the production simulator's --interval-ms). */
export const PRODUCTION_INTERVAL_S = 1;

/** Weibull shape β of the time to failure in every mode: wear-out (both simulators' --weibull-beta). */
export const DEFAULT_WEIBULL_BETA = 2;

/**
 * A mode's lifetime distribution, η in hours of operation: the scale that gives the mode's mean life for
 * shape β. Both simulators draw their pumps' lifetimes from this.
 */
export function modeLifetime(mode: Mode, beta: number = DEFAULT_WEIBULL_BETA): WeibullParams {
  return { beta, eta: etaForMean(MODE_SETTINGS[mode].meanLifeS / 3600, beta) };
}

/** BROKEN samples a pump sends before its repair: the mode's downtime at a sample interval. */
export function repairSamples(mode: Mode, intervalS: number): number {
  return Math.ceil(MODE_SETTINGS[mode].repairDowntimeS / intervalS);
}

/** `nominal`, `Stress`, …: a mode name in any case, as a flag or SIM_MODE gives it. */
export const modeSchema = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(z.enum(MODES, { message: `expected one of ${MODES.join(', ')}` }));

/** One line per mode for --help: its mean life and what that makes η, at the default β. */
export function describeModes(): string {
  return MODES.map((mode) => {
    const { meanLifeS, repairDowntimeS } = MODE_SETTINGS[mode];
    const { eta } = modeLifetime(mode);
    return `${mode} (mean life ${formatDuration(meanLifeS)}, η ${eta.toPrecision(4)} h, repair ${formatDuration(repairDowntimeS)})`;
  }).join(', ');
}

function formatDuration(s: number): string {
  if (s >= 3600) return `${+(s / 3600).toFixed(2)} h`;
  if (s >= 60) return `${+(s / 60).toFixed(2)} min`;
  return `${s} s`;
}
