/**
 * The training run's clock: how long its pumps live and how often they report. With a production mode it
 * is that mode's (the production simulator's own table), so a model trained on it fits a fleet run in that
 * mode; each explicit flag still wins. Without one it is the long-standing default of 1000 h and 600 s.
 */
import {
  type LifetimeModel,
  type Mode,
  modeLifetime,
  PRODUCTION_INTERVAL_S,
  repairSamples,
} from '@pdm/pump-physics';

/** The clock when no mode is given. */
export const DEFAULT_CLOCK = { weibullEtaH: 1000, intervalS: 600, postFailureSamples: 10 } as const;

export interface ClockSettings {
  readonly mode: Mode | undefined;
  readonly weibullBeta: number;
  readonly weibullEtaH: number | undefined;
  readonly intervalS: number | undefined;
  readonly postFailureSamples: number | undefined;
  readonly infantShare: number;
  readonly randomShare: number;
}

export interface Clock {
  /** η in hours of operation */
  readonly lifetime: LifetimeModel;
  readonly intervalS: number;
  readonly postFailureSamples: number;
}

export function resolveClock(settings: ClockSettings): Clock {
  const { mode, weibullBeta: beta, infantShare, randomShare } = settings;
  const bathtub = { infantShare, randomShare };
  if (mode === undefined) {
    return {
      // The mixture even at zero shares, as always: a mixture draws a number per lifetime, so an old run's
      // seed keeps giving its old samples.
      lifetime: { beta, eta: settings.weibullEtaH ?? DEFAULT_CLOCK.weibullEtaH, bathtub },
      intervalS: settings.intervalS ?? DEFAULT_CLOCK.intervalS,
      postFailureSamples: settings.postFailureSamples ?? DEFAULT_CLOCK.postFailureSamples,
    };
  }
  const intervalS = settings.intervalS ?? PRODUCTION_INTERVAL_S;
  return {
    lifetime: {
      // η from the mode's mean life and this β, as the production simulator derives it.
      beta,
      eta: settings.weibullEtaH ?? modeLifetime(mode, beta).eta,
      // No mixture unless asked for, as in production: then pump i of a seed draws the very lifetimes the
      // production simulator's pump i of that seed draws.
      bathtub: infantShare + randomShare > 0 ? bathtub : undefined,
    },
    intervalS,
    // BROKEN samples after failure as many as the mode's repair downtime holds, as a production pump sends.
    postFailureSamples: settings.postFailureSamples ?? repairSamples(mode, intervalS),
  };
}
