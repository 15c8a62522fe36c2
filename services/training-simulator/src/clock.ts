/**
 * The training run's clock: how long its pumps live and how often they report. With a production mode it
 * is that mode's (the production simulator's own table), so a model trained on it fits a fleet run in that
 * mode; each explicit flag still wins. Without one it is the long-standing default of 1000 h and 600 s.
 */
import {
  type Mode,
  modeLifetime,
  PRODUCTION_INTERVAL_S,
  repairSamples,
  type WeibullParams,
} from '@pdm/pump-physics';

/** The clock when no mode is given. */
export const DEFAULT_CLOCK = { weibullEtaH: 1000, intervalS: 600, postFailureSamples: 10 } as const;

export interface ClockSettings {
  readonly mode: Mode | undefined;
  readonly weibullBeta: number;
  readonly weibullEtaH: number | undefined;
  readonly intervalS: number | undefined;
  readonly postFailureSamples: number | undefined;
}

export interface Clock {
  /** η in hours of operation */
  readonly lifetime: WeibullParams;
  readonly intervalS: number;
  readonly postFailureSamples: number;
}

export function resolveClock(settings: ClockSettings): Clock {
  const { mode, weibullBeta: beta } = settings;
  if (mode === undefined) {
    return {
      lifetime: { beta, eta: settings.weibullEtaH ?? DEFAULT_CLOCK.weibullEtaH },
      intervalS: settings.intervalS ?? DEFAULT_CLOCK.intervalS,
      postFailureSamples: settings.postFailureSamples ?? DEFAULT_CLOCK.postFailureSamples,
    };
  }
  const intervalS = settings.intervalS ?? PRODUCTION_INTERVAL_S;
  return {
    // η from the mode's mean life and this β, as the production simulator derives it.
    lifetime: { beta, eta: settings.weibullEtaH ?? modeLifetime(mode, beta).eta },
    intervalS,
    // BROKEN samples after failure as many as the mode's repair downtime holds, as a production pump sends.
    postFailureSamples: settings.postFailureSamples ?? repairSamples(mode, intervalS),
  };
}
