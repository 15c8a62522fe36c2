/**
 * Configuration from flags, environment and `.env`, validated once with zod.
 * Every problem is reported at once, by flag and variable name; the caller exits with EXIT_CONFIG.
 */
import { readFileSync } from 'node:fs';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';

/** Exit code for invalid flags or environment, so scripts can tell it from a runtime failure (1). */
export const EXIT_CONFIG = 2;

export interface OptionSpec<S extends z.ZodType = z.ZodType> {
  /** validates and converts the raw string; carries the default */
  readonly schema: S;
  /** kebab-case flag name without dashes; omitted for environment-only settings */
  readonly flag?: string;
  /** environment variable name; omitted for flag-only settings */
  readonly env?: string;
  /** a flag without value */
  readonly boolean?: true;
  /** with boolean: `--no-<flag>` sets it false, for settings that default to on or come from the environment */
  readonly negatable?: true;
  readonly help: string;
  /** shown after the flag in --help, e.g. `N` */
  readonly placeholder?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
export type ConfigOf<T extends OptionSpecs> = { readonly [K in keyof T]: z.output<T[K]['schema']> };

export type ConfigResult<T extends OptionSpecs> =
  | { readonly kind: 'ok'; readonly config: ConfigOf<T> }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'invalid'; readonly problems: readonly string[]; readonly usage: string };

export interface ConfigSource {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ProgramInfo {
  /** the root script that runs it, e.g. `training-simulator` */
  readonly name: string;
  readonly summary: string;
}

/** Reads a dotenv file; an absent file is an empty environment. Values already in the environment win. */
export function readDotenv(path: string): Record<string, string> {
  try {
    return parseDotenv(readFileSync(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

export function parseConfig<T extends OptionSpecs>(
  program: ProgramInfo,
  specs: T,
  source: ConfigSource,
  /** rules across settings, e.g. "INFLUX_TOKEN is required with STORE=influxdb"; returns problems */
  crossCheck?: (config: ConfigOf<T>) => string[],
): ConfigResult<T> {
  const usage = helpText(program, specs);
  const problems: string[] = [];
  const flags = parseFlags(specs, source.argv, problems);
  if (flags.help === true) return { kind: 'help', text: usage };

  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fromFlag = spec.flag === undefined ? undefined : flags[spec.flag];
    const negated = spec.negatable && spec.flag !== undefined && flags[`no-${spec.flag}`] === true;
    const fromEnv = spec.env === undefined ? undefined : source.env[spec.env];
    const raw = negated ? 'false' : fromFlag !== undefined ? String(fromFlag) : nonEmpty(fromEnv);
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) config[key] = parsed.data;
    else {
      const shown = raw === undefined ? 'nothing' : JSON.stringify(raw);
      const reason = parsed.error.issues.map((i) => i.message).join('; ');
      problems.push(`${optionName(spec)}: ${reason} (got ${shown})`);
    }
  }
  if (problems.length === 0 && crossCheck) problems.push(...crossCheck(config as ConfigOf<T>));
  if (problems.length > 0) return { kind: 'invalid', problems, usage };
  return { kind: 'ok', config: Object.freeze(config) as ConfigOf<T> };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * `--name value`, `--name=value`, `--flag`, `--no-flag`. Written out rather than util.parseArgs, which
 * stops at the first problem and reads `--seed -1` as a missing value.
 */
function parseFlags(
  specs: OptionSpecs,
  argv: readonly string[],
  problems: string[],
): Record<string, string | boolean | undefined> {
  const byFlag = new Map<string, OptionSpec>();
  for (const spec of Object.values(specs)) if (spec.flag !== undefined) byFlag.set(spec.flag, spec);
  const values: Record<string, string | boolean | undefined> = {};
  // `pnpm <script> -- --flag` forwards the separator itself; it means nothing here.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--help' || arg === '-h') {
      values.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument ${JSON.stringify(arg)}: options start with --`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const spec = byFlag.get(name);
    const negated = spec === undefined && name.startsWith('no-') ? byFlag.get(name.slice(3)) : undefined;
    if (negated?.negatable) {
      values[name] = true;
    } else if (spec?.boolean) {
      if (inline === undefined) values[name] = true;
      else values[name] = inline;
    } else if (spec) {
      const value = inline ?? args[i + 1];
      if (inline === undefined) i += 1;
      if (value === undefined) problems.push(`--${name}: needs a value`);
      else values[name] = value;
    } else {
      problems.push(`unknown option --${name}`);
    }
  }
  return values;
}

function optionName(spec: OptionSpec): string {
  return [spec.flag && `--${spec.flag}`, spec.env].filter(Boolean).join(' / ');
}

function helpText(program: ProgramInfo, specs: OptionSpecs): string {
  const rows = Object.values(specs).map((spec) => {
    const flag =
      spec.flag === undefined
        ? ''
        : spec.boolean
          ? spec.negatable
            ? `--${spec.flag}, --no-${spec.flag}`
            : `--${spec.flag}`
          : `--${spec.flag} ${spec.placeholder ?? 'VALUE'}`;
    const fallback = spec.schema.safeParse(undefined);
    const dflt =
      fallback.success && fallback.data !== undefined ? ` (default: ${String(fallback.data)})` : '';
    return { flag, env: spec.env ?? '', help: `${spec.help}${dflt}` };
  });
  const flagWidth = Math.max(...rows.map((r) => r.flag.length), '--help'.length);
  const envWidth = Math.max(...rows.map((r) => r.env.length), 3);
  const line = (f: string, e: string, h: string) => `  ${f.padEnd(flagWidth)}  ${e.padEnd(envWidth)}  ${h}`;
  return [
    `Usage: pnpm ${program.name} [options]`,
    '',
    program.summary,
    '',
    line('Option', 'Env', 'Meaning'),
    ...rows.map((r) => line(r.flag, r.env, r.help)),
    line('--help', '', 'show this help and exit'),
    '',
    'Flags win over environment variables, which win over .env in the working directory.',
  ].join('\n');
}

// Schemas for raw strings. An unset option arrives as undefined and takes the default.

/** A number from a string; only a type mismatch gets this message, range checks keep their own. */
function coercedNumber(expected: string) {
  return z.coerce.number({ error: (issue) => (issue.code === 'invalid_type' ? expected : undefined) });
}

export function intOption(
  dflt: number,
  { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {},
) {
  return coercedNumber('expected a whole number')
    .int('expected a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(dflt);
}

export function numberOption(dflt: number, { min = -Number.MAX_VALUE, max = Number.MAX_VALUE } = {}) {
  return coercedNumber('expected a number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(dflt);
}

/** A number with no default: undefined when unset, for a setting whose default depends on another. */
export function optionalNumberOption({ min = -Number.MAX_VALUE, max = Number.MAX_VALUE } = {}) {
  return numberOption(0, { min, max }).unwrap().optional();
}

/** A whole number with no default: undefined when unset. */
export function optionalIntOption({ min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {}) {
  return intOption(0, { min, max }).unwrap().optional();
}

export function booleanOption(dflt: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
      message: 'expected true or false',
    })
    .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on')
    .default(dflt);
}

export function urlOption(dflt: string, protocols: readonly string[]) {
  return z
    .string()
    .refine(
      (s) => URL.canParse(s) && protocols.includes(new URL(s).protocol.replace(/:$/, '')),
      `expected a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    )
    .default(dflt);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Settings every service shares, with the same names everywhere. */
export const sharedOptions = {
  mqttUrl: {
    schema: urlOption('mqtt://localhost:1883', ['mqtt', 'mqtts', 'ws', 'wss']),
    flag: 'mqtt-url',
    env: 'MQTT_URL',
    placeholder: 'URL',
    help: 'MQTT broker',
  },
  mqttUsername: { schema: z.string().optional(), env: 'MQTT_USERNAME', help: 'MQTT user name' },
  mqttPassword: { schema: z.string().optional(), env: 'MQTT_PASSWORD', help: 'MQTT password' },
  logLevel: {
    schema: z.enum(LOG_LEVELS).default('info'),
    flag: 'log-level',
    env: 'LOG_LEVEL',
    placeholder: 'LEVEL',
    help: `log level: ${LOG_LEVELS.join(', ')}`,
  },
} as const satisfies OptionSpecs;

/** MQTT client id: fixed, so a restarted service resumes its persistent session. */
export function clientIdOption(dflt: string) {
  return {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'letters, digits, "_", "-" or "."')
      .default(dflt),
    env: 'MQTT_CLIENT_ID',
    help: 'MQTT client id; give each replica its own',
  } as const satisfies OptionSpec;
}

export interface ExitIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly exit: (code: number) => never;
}

/**
 * The config, or the process ends: --help prints usage and exits 0; invalid flags or environment list
 * every problem and exit with EXIT_CONFIG before anything is connected or published.
 */
export function configOrExit<T extends OptionSpecs>(
  result: ConfigResult<T>,
  program: ProgramInfo,
  io: ExitIo,
  {
    usageOnError = false,
  }: {
    /** the whole usage after the problems, instead of a pointer to --help */
    readonly usageOnError?: boolean;
  } = {},
): ConfigOf<T> {
  if (result.kind === 'help') {
    io.out(result.text);
    return io.exit(0);
  }
  if (result.kind === 'invalid') {
    io.err(
      `${program.name}: invalid configuration\n${result.problems.map((p) => `  - ${p}`).join('\n')}\n\n${usageOnError ? result.usage : 'Run with --help for usage.'}`,
    );
    return io.exit(EXIT_CONFIG);
  }
  return result.config;
}
