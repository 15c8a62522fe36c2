/** Flags and environment of the export CLI. The store variables are the ones acquisition reads. */

import { pumpIdSchema } from '@pdm/contract';
import { influxOptions } from '@pdm/influx';
import { type OptionSpecs, sharedOptions } from '@pdm/service-kit';
import { z } from 'zod';
import { parseTimeBound, TIME_BOUND_HELP } from './time-range.ts';

export const program = {
  name: 'export-training-data',
  summary: [
    'Turns the stored samples into a training set: one row per labelled sample, with the shared features',
    '(@pdm/features, in FEATURE_NAMES order, rounded to FEATURE_DECIMALS exactly as inference rounds them)',
    'and the ground truth.',
    '',
    'Sources:  the SQLite store, InfluxDB, or JSON Lines (--source jsonl --input FILE|-): the training',
    "          simulator's --stdout, so no broker is needed. Each line's payload is validated as acquisition",
    '          validates it; lines that are no training or telemetry sample are left out, counted and logged',
    '          (none valid at all is an error). The samples wait in a temporary SQLite store beside --out,',
    '          removed at the end, since the features need each pump in time order and the simulator',
    '          interleaves its pumps.',
    '',
    'Rows:     only labelled samples (those with a state, i.e. from the training topic) are written; raw',
    '          telemetry without a state still feeds the feature windows of its pump.',
    'Features: computed per pump in time order over every sample of the pump in the time range, before any',
    '          balancing; balancing only chooses which computed rows are written. The first samples of a',
    '          pump in the range have windows shorter than the full window.',
    "Times:    --since and --until select by device time (ts). The training simulator's virtual clock starts",
    '          on 2026-01-01 by default, so an age such as 7d may miss its samples; with no --since every',
    '          sample is exported. InfluxDB reads up to its own now() when --until is not given.',
    'Columns:  ts (epoch ms), pump_id, seq, the features, state, health_pct, rul_h, failure_mode. CSV has a',
    '          header line; in JSON Lines every object carries the same keys in the same order.',
    'Balance:  undersample keeps, of every state, as many rows as the rarest state present has (at most',
    "          --max-per-class), chosen uniformly at random in one streaming pass (Knuth's selection",
    '          sampling); the same --seed gives the same rows. none keeps every row (each state still capped',
    '          by --max-per-class).',
    'Output:   written under a temporary name beside --out and renamed when complete; the path is printed on',
    '          stdout. Counts per state before and after balancing go to stderr: a table and a progress bar',
    '          on a terminal, JSON log lines otherwise.',
    'Exit:     0 written; 1 no labelled rows in the range (or no valid line of JSON Lines), store or input',
    '          unreadable, or output not writable; 2 invalid flags or environment; 130/143 interrupted (nothing',
    '          is left behind).',
  ].join('\n'),
};

export const SOURCES = ['sqlite', 'influxdb', 'jsonl'] as const;
export type SourceKind = (typeof SOURCES)[number];
export const FORMATS = ['csv', 'jsonl'] as const;
export type OutputFormat = (typeof FORMATS)[number];
export const BALANCE_MODES = ['undersample', 'none'] as const;
/** `--input -`: read stdin */
export const STDIN = '-';
export type BalanceMode = (typeof BALANCE_MODES)[number];

const timeBound = z
  .string()
  .transform((text, ctx) => {
    const bound = parseTimeBound(text);
    if (bound === undefined) ctx.addIssue({ code: 'custom', message: `expected ${TIME_BOUND_HELP}` });
    return bound ?? z.NEVER;
  })
  .optional();

const pumpList = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
  )
  .pipe(z.array(pumpIdSchema).min(1, 'expected at least one pump id'))
  .optional();

export const options = {
  source: {
    schema: z.enum(SOURCES, { message: 'expected sqlite, influxdb or jsonl' }).default('sqlite'),
    flag: 'source',
    env: 'STORE',
    placeholder: 'KIND',
    help: 'where the samples are: sqlite (SQLITE_PATH), influxdb (INFLUX_*) or jsonl (--input)',
  },
  input: {
    schema: z.string().min(1).optional(),
    flag: 'input',
    placeholder: 'FILE',
    help: `with --source jsonl: the JSON Lines of pnpm training-simulator --stdout, from FILE (relative to the working directory) or ${STDIN} for stdin`,
  },
  sqlitePath: {
    schema: z.string().min(1).default('data/pdm.sqlite'),
    flag: 'sqlite-path',
    env: 'SQLITE_PATH',
    placeholder: 'PATH',
    help: 'SQLite store, relative to the working directory; opened read-only',
  },
  ...influxOptions,
  since: {
    schema: timeBound,
    flag: 'since',
    placeholder: 'TIME',
    help: `first device time to export, inclusive: ${TIME_BOUND_HELP} (default: the beginning)`,
  },
  until: {
    schema: timeBound,
    flag: 'until',
    placeholder: 'TIME',
    help: 'device time to stop at, exclusive, in the same forms (default: no end)',
  },
  pumps: {
    schema: pumpList,
    flag: 'pumps',
    placeholder: 'IDS',
    help: 'only these pumps, comma-separated, e.g. train-s42-00001,train-s42-00002 (default: all)',
  },
  balance: {
    schema: z.enum(BALANCE_MODES, { message: 'expected undersample or none' }).default('undersample'),
    flag: 'balance',
    placeholder: 'MODE',
    help: 'undersample: every state down to the rarest state present; none: every labelled row',
  },
  maxPerClass: {
    schema: z.coerce
      .number({ message: 'expected a whole number' })
      .int('expected a whole number')
      .min(1, 'must be at least 1')
      .optional(),
    flag: 'max-per-class',
    placeholder: 'N',
    help: 'at most N rows of each state, chosen at random (default: no cap)',
  },
  seed: {
    schema: z.coerce
      .number({ message: 'expected a whole number' })
      .int('expected a whole number')
      .min(0, 'must be at least 0')
      .max(2 ** 32 - 1, `must be at most ${2 ** 32 - 1}`)
      .default(42),
    flag: 'seed',
    placeholder: 'S',
    help: 'random seed of the sampling; the same seed and data give the same rows',
  },
  format: {
    schema: z.enum(FORMATS, { message: 'expected csv or jsonl' }).optional(),
    flag: 'format',
    placeholder: 'FMT',
    help: 'csv or jsonl (default: from the --out extension, else csv)',
  },
  out: {
    schema: z.string().min(1).optional(),
    flag: 'out',
    placeholder: 'FILE',
    help: 'output file, relative to the working directory; its folder is created (default: data/training-<UTC time>.<format>)',
  },
  logLevel: sharedOptions.logLevel,
} as const satisfies OptionSpecs;
