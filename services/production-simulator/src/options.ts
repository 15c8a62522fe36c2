/** Flags and environment of the production simulator. */

import { MAX_GATEWAY_ROWS } from '@pdm/contract';
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
  sharedOptions,
} from '@pdm/service-kit';
import { z } from 'zod';

export const program = {
  name: 'production-simulator',
  summary:
    'Runs a fleet of pumps in real time. Raw telemetry goes to pdm/v1/telemetry/<pump_id> (or, with --gateway-size,\n' +
    'to pdm/v1/gateway/<gateway_id>/telemetry, one message per gateway), the ground truth to\n' +
    'pdm/v1/groundtruth/<pump_id> (with --gateway-size, pdm/v1/gateway/<gateway_id>/groundtruth). Broken\n' +
    'pumps are repaired after a downtime, so the fleet runs indefinitely.',
};

export const options = {
  pumps: {
    schema: intOption(100, { min: 1, max: 1_000_000 }),
    flag: 'pumps',
    env: 'PUMPS',
    placeholder: 'N',
    help: 'pumps in the fleet',
  },
  mode: {
    schema: modeSchema.default('NOMINAL'),
    flag: 'mode',
    env: 'SIM_MODE',
    placeholder: 'M',
    help: `how fast the pumps age, in any case: ${describeModes()}`,
  },
  seed: {
    schema: intOption(7, { min: 0, max: 2 ** 32 - 1 }),
    flag: 'seed',
    env: 'SEED',
    placeholder: 'S',
    help: 'random seed',
  },
  durationS: {
    schema: numberOption(0, { min: 0 }).transform((s) => (s === 0 ? undefined : s)),
    flag: 'duration',
    env: 'DURATION_S',
    placeholder: 'S',
    help: 'seconds of device time to run; 0 runs until stopped',
  },
  intervalMs: {
    schema: intOption(PRODUCTION_INTERVAL_S * 1000, { min: 10, max: 3_600_000 }),
    flag: 'interval-ms',
    env: 'INTERVAL_MS',
    placeholder: 'MS',
    help: 'sample period of every pump',
  },
  weibullBeta: {
    schema: numberOption(DEFAULT_WEIBULL_BETA, { min: 0.1, max: 20 }),
    flag: 'weibull-beta',
    env: 'WEIBULL_BETA',
    placeholder: 'B',
    help: 'Weibull shape β of the time to failure',
  },
  repairDowntimeS: {
    schema: numberOption(-1, { min: -1 }).transform((s) => (s < 0 ? undefined : s)),
    flag: 'repair-downtime-s',
    env: 'REPAIR_DOWNTIME_S',
    placeholder: 'S',
    help: "seconds a broken pump stays down (reporting BROKEN) before repair; -1: the mode's own (1800 / 60 / 15)",
  },
  gatewaySize: {
    schema: intOption(0, { min: 0, max: MAX_GATEWAY_ROWS }),
    flag: 'gateway-size',
    env: 'GATEWAY_SIZE',
    placeholder: 'K',
    help:
      "pumps per edge gateway: each gateway sends its pumps' samples in one message per interval on\n" +
      'pdm/v1/gateway/<gateway_id>/telemetry and their ground truth in one on\n' +
      "pdm/v1/gateway/<gateway_id>/groundtruth; 0 sends each pump's on pdm/v1/telemetry/<pump_id>",
  },
  ...chaosOptions,
  groundTruth: {
    schema: booleanOption(true),
    flag: 'ground-truth',
    env: 'GROUND_TRUTH',
    boolean: true,
    negatable: true,
    help: 'publish the ground truth topic',
  },
  idPrefix: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,50}$/, 'letters, digits, "_", "-" or "."')
      .default('pump'),
    flag: 'id-prefix',
    env: 'PUMP_ID_PREFIX',
    placeholder: 'P',
    help: 'pump id prefix',
  },
  stdout: {
    schema: booleanOption(false),
    flag: 'stdout',
    boolean: true,
    help: 'write JSON Lines {"topic","payload"} to stdout instead of publishing',
  },
  statsEveryS: {
    schema: numberOption(10, { min: 0.1 }),
    flag: 'stats-every-s',
    env: 'STATS_EVERY_S',
    placeholder: 'S',
    help: 'seconds between progress log lines',
  },
  timeScale: {
    schema: numberOption(1, { min: 0.001, max: 1000 }),
    flag: 'time-scale',
    env: 'TIME_SCALE',
    placeholder: 'X',
    help: 'device seconds per wall second: 10 replays ten times faster, with device time and ageing as in real time',
  },
  lagWarmupS: {
    schema: numberOption(0, { min: 0 }),
    flag: 'lag-warmup-s',
    env: 'LAG_WARMUP_S',
    placeholder: 'S',
    help: "leave the first S seconds (JIT warm-up) out of the summary's schedule-lag figures",
  },
  maxInFlight: {
    schema: intOption(1000, { min: 1, max: 65_535 }),
    flag: 'max-in-flight',
    env: 'MQTT_MAX_IN_FLIGHT',
    placeholder: 'N',
    help: "unacknowledged QoS 1 messages allowed at once (capped by the broker's Receive Maximum)",
  },
  ...sharedOptions,
  clientId: clientIdOption('production-simulator'),
} as const satisfies OptionSpecs;
