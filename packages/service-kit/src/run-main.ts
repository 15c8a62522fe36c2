/**
 * The part of every program's main.ts that is the same everywhere: flags, environment and `.env` into a
 * frozen config (exit 2 when invalid), a logger, signals and exit codes.
 *
 * Besides each program's own `src/main.ts`, this is the only module that touches `process`: it is the
 * main.ts part, written once. Everything it starts gets what it needs (environment, streams, working
 * directory, an AbortSignal) as arguments.
 *
 * - runService: a long-running service. create(), start(); on SIGINT or SIGTERM stop() in order and exit
 *   0 (stopOnSignals: a second signal, or SHUTDOWN_DEADLINE_MS passing, exits 1). A failed start exits 1.
 * - runProgram: a program that runs to completion and returns its exit code. The first SIGINT or
 *   SIGTERM aborts its AbortSignal, asking it to finish early; a second signal exits at once with
 *   128 + the signal's number, and so does the deadline passing, with 1.
 */
import { resolve } from 'node:path';
import {
  type ConfigOf,
  type ConfigResult,
  type ConfigSource,
  configOrExit,
  type ExitIo,
  type OptionSpecs,
  type ProgramInfo,
  parseConfig,
  readDotenv,
} from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { SHUTDOWN_DEADLINE_MS, stopOnSignals } from './shutdown.ts';

export type LogTo = 'stdout' | 'stderr';
/** The signals that ask a program to stop: Ctrl-C, and `docker stop` or systemd. */
export type StopSignal = 'SIGINT' | 'SIGTERM';
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
/** What a shell reports for a process that the signal ended: 128 + the signal's number. */
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

export interface MainOptions<T extends OptionSpecs> {
  /** rules across settings, e.g. "INFLUX_TOKEN is required with STORE=influxdb"; returns problems */
  readonly crossCheck?: (config: ConfigOf<T>) => string[];
  /** parses instead of parseConfig(program, options, source, crossCheck), e.g. to join repeated flags */
  readonly parse?: (source: ConfigSource) => ConfigResult<T>;
  /** invalid flags are answered with the whole usage rather than a pointer to --help */
  readonly usageOnError?: boolean;
  /** where logs go, default stdout; stderr when stdout carries the program's output */
  readonly logTo?: LogTo | ((config: ConfigOf<T>) => LogTo);
}

/** What main.ts has and the rest of a program may need, handed down instead of read from `process`. */
export interface MainContext {
  /** at the config's logLevel (info for a program without one), pretty when a person watches */
  readonly logger: Logger;
  /** the environment, with `.env` from the working directory under it */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** for a program that reads its input from a pipe (`--input -`) */
  readonly stdin: NodeJS.ReadStream;
  /** the node binary, for a program that starts others */
  readonly execPath: string;
  /** reports problems found after parsing the way invalid flags are reported, and exits with EXIT_CONFIG */
  exitInvalid(problems: readonly string[]): never;
}

/** What a service's app.ts returns. */
export interface ServiceApp {
  start(): Promise<unknown>;
  /** idempotent; bounded in time (shutdownInOrder) */
  stop(): Promise<unknown>;
}

/** Runs a long-running service: start, then stop on SIGINT or SIGTERM within SHUTDOWN_DEADLINE_MS. */
export function runService<T extends OptionSpecs>(
  program: ProgramInfo,
  options: T,
  create: (config: ConfigOf<T>, context: MainContext) => ServiceApp,
  how: MainOptions<T> = {},
): void {
  const { config, context } = setUp(program, options, how);
  const { logger } = context;
  function failedToStart(err: unknown): never {
    logger.fatal({ err }, `${program.name} failed to start`);
    return process.exit(1);
  }
  let app: ServiceApp;
  try {
    app = create(config, context);
  } catch (err) {
    failedToStart(err);
  }
  let stopping = false;
  stopOnSignals({
    stop: () => {
      stopping = true;
      return app.stop();
    },
    logger,
    onSignal: (signal, handler) => process.on(signal, handler),
    exit: (code) => process.exit(code),
  });
  Promise.resolve()
    .then(() => app.start())
    .catch((err: unknown) => {
      // A stop during start() makes it give up on purpose (a connection attempt aborted, no model
      // yet); the stop exits.
      if (!stopping) failedToStart(err);
    });
}

export interface ProgramContext extends MainContext {
  /** aborts on the first SIGINT or SIGTERM, with its name (a StopSignal) as the reason: finish early */
  readonly signal: AbortSignal;
}

export interface ProgramOptions<T extends OptionSpecs> extends MainOptions<T> {
  /**
   * 'abort' (default): a signal aborts `signal`, see runProgram. 'default': Node's own handling, the
   * process ends at once; for a run that leaves nothing half done and may not yield to a handler.
   */
  readonly signals?: 'abort' | 'default';
  /**
   * After the first signal the process is gone within this long, whatever hangs; default
   * SHUTDOWN_DEADLINE_MS. false for a program that waits for children with deadlines of their own.
   */
  readonly deadlineMs?: number | false;
}

/**
 * Runs a program to completion: the exit code is what `run` resolves with (1 if it throws). Then
 * stdout and stderr are flushed and the process exits, even if something (an HTTP client's keep-alive
 * sockets) would hold it open.
 */
export function runProgram<T extends OptionSpecs>(
  program: ProgramInfo,
  options: T,
  run: (config: ConfigOf<T>, context: ProgramContext) => Promise<number>,
  how: ProgramOptions<T> = {},
): void {
  const { config, context } = setUp(program, options, how);
  const { logger } = context;
  const abort = new AbortController();
  if (how.signals !== 'default') abortOnSignals(abort, logger, how.deadlineMs ?? SHUTDOWN_DEADLINE_MS);
  // Should the event loop run dry before the run settles (it waits on a promise nothing will ever
  // settle), that is a failure, not a success.
  process.exitCode = 1;
  Promise.resolve()
    .then(() => run(config, { ...context, signal: abort.signal }))
    .catch((err: unknown) => {
      logger.fatal({ err }, `${program.name} failed`);
      return 1;
    })
    .then(async (code) => {
      await flushed(process.stdout);
      await flushed(process.stderr);
      process.exit(code);
    });
}

function setUp<T extends OptionSpecs>(
  program: ProgramInfo,
  options: T,
  how: MainOptions<T>,
): { config: ConfigOf<T>; context: MainContext } {
  const cwd = process.cwd();
  const env = { ...readDotenv(resolve(cwd, '.env')), ...process.env };
  const parse = how.parse ?? ((source) => parseConfig(program, options, source, how.crossCheck));
  const io: ExitIo = { out: console.log, err: console.error, exit: process.exit };
  const config = configOrExit(parse({ argv: process.argv.slice(2), env }), program, io, how);
  const logTo = typeof how.logTo === 'function' ? how.logTo(config) : (how.logTo ?? 'stdout');
  const logger = createLogger({
    name: program.name,
    level: (config as { logLevel?: string }).logLevel ?? 'info',
    to: logTo === 'stdout' ? process.stdout : process.stderr,
  });
  const exitInvalid = (problems: readonly string[]): never => {
    const help = parse({ argv: ['--help'], env: {} });
    const usage = help.kind === 'help' ? help.text : '';
    return configOrExit({ kind: 'invalid', problems, usage }, program, io, how) as never;
  };
  return {
    config,
    context: {
      logger,
      env,
      cwd,
      stdout: process.stdout,
      stderr: process.stderr,
      // Opened only by a program that reads it: an open stdin pipe can keep a process waiting.
      get stdin() {
        return process.stdin;
      },
      execPath: process.execPath,
      exitInvalid,
    },
  };
}

function abortOnSignals(abort: AbortController, logger: Logger, deadlineMs: number | false): void {
  let first: StopSignal | undefined;
  const onSignal = (signal: StopSignal) => {
    if (first !== undefined) {
      // The first signal did not end it soon enough for whoever sent this one.
      logger.error({ signal }, 'second signal: exiting now');
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
    first = signal;
    if (deadlineMs !== false)
      setTimeout(() => {
        logger.error({ deadlineMs }, 'shutdown did not finish in time: exiting');
        process.exit(1);
      }, deadlineMs).unref();
    abort.abort(signal);
  };
  for (const signal of SIGNALS) process.on(signal, () => onSignal(signal));
}

/** Resolves once what was written before is handed to the OS (at once on a broken stream). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) resolve();
    else stream.write('', () => resolve());
  });
}
