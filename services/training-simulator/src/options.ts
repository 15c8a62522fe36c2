/** Flags and environment of the training simulator. */
import {
  chaosOptions,
  DEFAULT_WEIBULL_BETA,
  describeModes,
  modeSchema,
  PRODUCTION_INTERVAL_S,
} from '@pdm/pump-physics';
import {
  booleanOption,
  clientIdOption,
  intOption,
  numberOption,
  type OptionSpecs,
  optionalIntOption,
  optionalNumberOption,
  sharedOptions,
} from '@pdm/service-kit';
import { z } from 'zod';
import { DEFAULT_CLOCK } from './clock.ts';

export const program = {
  name: 'training-simulator',
  summary:
    'Runs N pumps through whole lifecycles, healthy to broken, on a virtual clock, and publishes every\n' +
    'labelled sample with QoS 1 on pdm/v1/training/<pump_id>. Exits with a summary.',
};

export const options = {
  pumps: {
    schema: intOption(100, { min: 1, max: 1_000_000 }),
    flag: 'pumps',
    env: 'PUMPS',
    placeholder: 'N',
    help: 'pumps to simulate',
  },
  seed: {
    schema: intOption(42, { min: 0, max: 2 ** 32 - 1 }),
    flag: 'seed',
    env: 'SEED',
    placeholder: 'S',
    help: 'random seed; the same seed gives the same samples',
  },
  mode: {
    schema: modeSchema.optional(),
    flag: 'mode',
    env: 'SIM_MODE',
    placeholder: 'M',
    help:
      `the production mode to train for, in any case: ${describeModes()}. ` +
      `Sets η (the mean life at shape β, as the production simulator does), one sample every ` +
      `${PRODUCTION_INTERVAL_S} s and a repair downtime's BROKEN samples after each failure; ` +
      '--weibull-eta, --interval-s and --post-failure-samples still win. Unset: the defaults below',
  },
  weibullBeta: {
    schema: numberOption(DEFAULT_WEIBULL_BETA, { min: 0.1, max: 20 }),
    flag: 'weibull-beta',
    env: 'WEIBULL_BETA',
    placeholder: 'B',
    help: 'Weibull shape β of the time to failure (>1 wear-out)',
  },
  weibullEtaH: {
    schema: optionalNumberOption({ min: 0.001, max: 1e6 }),
    flag: 'weibull-eta',
    env: 'WEIBULL_ETA_H',
    placeholder: 'H',
    help: `Weibull scale η: characteristic life in hours of operation (default: the mode's, else ${DEFAULT_CLOCK.weibullEtaH})`,
  },
  intervalS: {
    schema: optionalNumberOption({ min: 0.001, max: 86_400 }),
    flag: 'interval-s',
    env: 'INTERVAL_S',
    placeholder: 'S',
    help: `virtual seconds between samples (default: the mode's, else ${DEFAULT_CLOCK.intervalS})`,
  },
  postFailureSamples: {
    schema: optionalIntOption({ min: 0, max: 10_000 }),
    flag: 'post-failure-samples',
    env: 'POST_FAILURE_SAMPLES',
    placeholder: 'N',
    help: `samples published after the failure point (state BROKEN, health 0) (default: the mode's repair downtime / interval, else ${DEFAULT_CLOCK.postFailureSamples})`,
  },
  lifecycles: {
    schema: intOption(1, { min: 1, max: 1000 }),
    flag: 'lifecycles',
    env: 'LIFECYCLES',
    placeholder: 'N',
    help: 'lifecycles per pump: after each failure the pump is repaired and runs again',
  },
  infantShare: {
    schema: numberOption(0, { min: 0, max: 1 }),
    flag: 'infant-share',
    env: 'BATHTUB_INFANT_SHARE',
    placeholder: 'P',
    help: 'bathtub curve: share of lifecycles ending in infant mortality (Weibull β 0.5, η/20)',
  },
  randomShare: {
    schema: numberOption(0, { min: 0, max: 1 }),
    flag: 'random-share',
    env: 'BATHTUB_RANDOM_SHARE',
    placeholder: 'P',
    help: 'bathtub curve: share of lifecycles ending in random failures (exponential, mean η)',
  },
  start: {
    schema: z.iso
      .datetime({ offset: true, message: 'expected an ISO 8601 time such as 2026-01-01T00:00:00Z' })
      .default('2026-01-01T00:00:00Z'),
    flag: 'start',
    env: 'START_TIME',
    placeholder: 'ISO',
    help: 'virtual clock start (device time of the first sample)',
  },
  idPrefix: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,50}$/, 'letters, digits, "_", "-" or "."')
      .optional(),
    flag: 'id-prefix',
    env: 'PUMP_ID_PREFIX',
    placeholder: 'P',
    help: 'pump id prefix (default: train-s<seed>, so runs with different seeds never share ids)',
  },
  stdout: {
    schema: booleanOption(false),
    flag: 'stdout',
    boolean: true,
    help: 'write JSON Lines {"topic","payload"} to stdout instead of publishing',
  },
  maxInFlight: {
    schema: intOption(1000, { min: 1, max: 65_535 }),
    flag: 'max-in-flight',
    env: 'MQTT_MAX_IN_FLIGHT',
    placeholder: 'N',
    help: "unacknowledged QoS 1 messages allowed at once (capped by the broker's Receive Maximum)",
  },
  ...chaosOptions,
  ...sharedOptions,
  clientId: clientIdOption('training-simulator'),
} as const satisfies OptionSpecs;
