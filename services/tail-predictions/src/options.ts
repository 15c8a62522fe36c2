/** Flags and environment of tail-predictions, and the help that explains them. */
import { PUMP_STATES } from '@pdm/contract';
import {
  booleanOption,
  type ConfigOf,
  type ConfigResult,
  type ConfigSource,
  intOption,
  type OptionSpecs,
  parseConfig,
  sharedOptions,
} from '@pdm/service-kit';
import { z } from 'zod';

export const program = {
  name: 'tail-predictions',
  summary:
    'A readable, coloured live view of the predictions, for an operator instead of `tail -f`.\n' +
    '\n' +
    'With --source log (the default) it follows today’s prediction log, <dir>/predictions-YYYY-MM-DD.jsonl,\n' +
    'written by the inference service: first the last --lines rows that pass the filters, then every whole\n' +
    'line as it is appended (a half-written line waits for its end). After midnight UTC it moves on to the\n' +
    'next day’s file as soon as that appears. A directory or file that is not there yet is reported and\n' +
    'waited for.\n' +
    '\n' +
    'With --source mqtt it shows what is published live on pdm/v1/predictions/+ and pdm/v1/alerts/+\n' +
    '(QoS 1, clean session under a random client id: nothing is left queued on the broker). Only this\n' +
    'source has alerts.',
};

/** Flags that may be given more than once; their values are joined with commas. */
export const REPEATABLE_FLAGS = ['pump', 'state'] as const;

const PUMP_PATTERN = /^[A-Za-z0-9_.*?-]{1,64}$/;

/** `a, b,,c` → `['a', 'b', 'c']` */
function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export const options = {
  source: {
    schema: z.enum(['log', 'mqtt']).default('log'),
    flag: 'source',
    placeholder: 'log|mqtt',
    help: 'the prediction log files, or the live MQTT topics',
  },
  dir: {
    schema: z.string().min(1).default('predictions'),
    flag: 'dir',
    env: 'PREDICTIONS_DIR',
    placeholder: 'DIR',
    help: 'log source: the inference service’s prediction log directory',
  },
  lines: {
    schema: intOption(20, { min: 0, max: 1_000_000 }),
    flag: 'lines',
    placeholder: 'N',
    help: 'log source: start with the last N rows that pass the filters (looking back at most 64 MiB)',
  },
  date: {
    schema: z.iso.date('expected a day such as 2026-03-01').optional(),
    flag: 'date',
    placeholder: 'YYYY-MM-DD',
    help: 'log source: read this UTC day’s file instead of today’s, and stay on it',
  },
  follow: {
    schema: booleanOption(true),
    flag: 'follow',
    boolean: true,
    negatable: true,
    help: 'log source: keep following; --no-follow prints the last --lines rows and exits',
  },
  pollMs: {
    schema: intOption(250, { min: 10, max: 60_000 }),
    flag: 'poll-ms',
    placeholder: 'MS',
    help: 'log source: how often the file is checked for new lines',
  },
  pumps: {
    schema: z
      .string()
      .transform(list)
      .pipe(
        z
          .array(
            z.string().regex(PUMP_PATTERN, 'pump ids or patterns: letters, digits, "_", "-", ".", "*", "?"'),
          )
          .min(1, 'expected at least one pump id or pattern'),
      )
      .optional(),
    flag: 'pump',
    placeholder: 'ID',
    help: 'only these pumps: ids or glob patterns such as pump-000*, comma-separated or repeated',
  },
  states: {
    schema: z
      .string()
      .transform((s) => list(s).map((state) => state.toUpperCase()))
      .pipe(
        z
          .array(z.enum(PUMP_STATES, { error: `expected ${PUMP_STATES.join(', ')}` }))
          .min(1, 'expected at least one state'),
      )
      .optional(),
    flag: 'state',
    placeholder: 'STATE',
    help: `only rows whose smoothed state is one of these (${PUMP_STATES.join('|')}), comma-separated or repeated`,
  },
  alertsOnly: {
    schema: booleanOption(false),
    flag: 'alerts-only',
    boolean: true,
    help: 'mqtt source: only alerts, no predictions',
  },
  json: {
    schema: booleanOption(false),
    flag: 'json',
    boolean: true,
    help: 'print matching rows unchanged, one JSON document per line (for jq)',
  },
  color: {
    // No default: unset means "decide from the terminal and NO_COLOR".
    schema: z
      .enum(['true', 'false'], { error: 'expected true or false' })
      .transform((v) => v === 'true')
      .optional(),
    flag: 'color',
    boolean: true,
    negatable: true,
    help: 'colour the states; default: on when stdout is a terminal and NO_COLOR is unset',
  },
  noColor: {
    schema: z.string().optional(),
    env: 'NO_COLOR',
    help: 'any value turns colour off (no-color.org); --color still turns it on',
  },
  ...sharedOptions,
} as const satisfies OptionSpecs;

export type Config = ConfigOf<typeof options>;

/** Rules across flags: options that mean nothing with the chosen source are mistakes, not no-ops. */
export function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  if (config.source === 'log' && config.alertsOnly)
    problems.push('--alerts-only: needs --source mqtt; the prediction log holds predictions only');
  if (config.source === 'mqtt' && config.date !== undefined)
    problems.push('--date: applies to --source log only; MQTT shows what happens now');
  if (config.source === 'mqtt' && !config.follow) problems.push('--no-follow: applies to --source log only');
  return problems;
}

/**
 * `--pump a --pump=b,c` → `--pump a,b,c`: the config parser keeps one value per flag, and these read
 * naturally either way.
 */
export function joinRepeatedFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  const values = new Map<string, { index: number; list: string[] }>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = REPEATABLE_FLAGS.find((n) => arg === `--${n}` || arg.startsWith(`--${n}=`));
    const value =
      name === undefined ? undefined : arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[i + 1];
    if (name === undefined || value === undefined) {
      out.push(arg);
      continue;
    }
    if (!arg.includes('=')) i += 1;
    const seen = values.get(name);
    if (seen) seen.list.push(value);
    else {
      values.set(name, { index: out.length + 1, list: [value] });
      out.push(`--${name}`, value);
    }
  }
  for (const { index, list } of values.values()) out[index] = list.join(',');
  return out;
}

const MORE_HELP = `
Output, one line per prediction (time in UTC from the message's ts):
  10:20:30.123  pump-00042  FAULTY   raw WARNING  p=0.71     4.82 mm/s C     3.2 ms  1a2b3c4d
  time · pump · smoothed state (HEALTHY green, WARNING yellow, FAULTY red, BROKEN inverse red) · the
  sample's own state when it differs · top class probability · vibration RMS and its ISO 10816 zone
  (A new … D damage) · latency from telemetry to prediction · model version (its content hash)
Alerts (mqtt source) are highlighted: ALARM or RECOVERED, previous → new state, then the evidence:
  top probability, vibration and zone, bearing temperature, model version.

Filters combine: a row is shown when it passes every one given.
  --pump   ids or patterns (* any characters, ? one character); quote patterns so the shell leaves
           the * alone. --pump 'pump-000*' shows pump-00000 … pump-00099.
  --state  the smoothed state, any case; an alert passes when its new or previous state is listed,
           so a recovery from FAULTY still shows under --state FAULTY.
Colour is on when stdout is a terminal, unless NO_COLOR is set or --no-color is given.
Rows go to stdout; notices (waiting for a file, switching days, the broker) and invalid rows (not
JSON, or not a prediction) go to stderr, once each, and are skipped.

Examples:
  pnpm tail-predictions                               today's log: the last 20 rows, then live
  pnpm tail-predictions --pump pump-00042             one pump
  pnpm tail-predictions --pump 'pump-000*' --lines 100
  pnpm tail-predictions --state FAULTY,BROKEN         only pumps in trouble
  pnpm tail-predictions --source mqtt                 live from the broker, with alerts
  pnpm tail-predictions --source mqtt --alerts-only
  pnpm tail-predictions --date 2026-03-01 --no-follow --lines 1000 --state broken
  pnpm -s tail-predictions --json --no-follow | jq -c 'select(.latency_ms > 50)'
  (pnpm -s keeps pnpm's own banner out of stdout when piping)

Exit codes: 0 done, or stopped by Ctrl-C, SIGTERM or a closed pipe (| head); 1 the day's log does not
exist (--no-follow) or a fatal error; 2 invalid flags or environment.`;

/** The config parser's help, with the output explained and examples after the option table. */
export function withExamples<T extends OptionSpecs>(result: ConfigResult<T>): ConfigResult<T> {
  return result.kind === 'help' ? { kind: 'help', text: `${result.text}\n${MORE_HELP}` } : result;
}

/** The whole parse: repeated flags joined, the rules across flags, the examples after --help. */
export function parseTailConfig(source: ConfigSource): ConfigResult<typeof options> {
  return withExamples(
    parseConfig(program, options, { ...source, argv: joinRepeatedFlags(source.argv) }, crossCheck),
  );
}
