#!/usr/bin/env node
/** A program on runService or runProgram for run-main's tests; --behave picks what it does. */
import { z } from 'zod';
import { sharedOptions } from '../config.ts';
import { runProgram, runService } from '../run-main.ts';

const program = { name: 'fixture', summary: 'run-main test fixture' };
const options = {
  behave: {
    schema: z
      .enum([
        'serve',
        'fail-create',
        'abandon-start',
        'exit-3',
        'until-signal',
        'ignore-signal',
        'throw',
        'invalid',
      ])
      .default('serve'),
    flag: 'behave',
    help: 'what to do',
  },
  logLevel: sharedOptions.logLevel,
} as const;

// Stands for the sockets and timers a real program has; without them the process would just end.
setInterval(() => {}, 60_000);
const never = new Promise<never>(() => {});
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

// Which entry point is a main.ts's choice, made before any flag is parsed.
const SERVICE = ['--behave=serve', '--behave=fail-create', '--behave=abandon-start'];
if (process.argv.some((a) => SERVICE.includes(a))) {
  runService(program, options, (config, { logger }) => {
    if (config.behave === 'fail-create') throw new Error('no store');
    let stopped: () => void = () => {};
    const stopping = new Promise<void>((resolve) => {
      stopped = resolve;
    });
    return {
      async start() {
        logger.info('started');
        if (config.behave === 'abandon-start') {
          await stopping;
          throw new Error('connection attempt aborted');
        }
      },
      async stop() {
        stopped();
        logger.info('stopped');
      },
    };
  });
} else {
  runProgram(
    program,
    options,
    async (config, { logger, signal, exitInvalid }) => {
      logger.info('running');
      if (config.behave === 'exit-3') return 3;
      if (config.behave === 'throw') throw new Error('disk on fire');
      if (config.behave === 'invalid') return exitInvalid(['--since: must be in the past']);
      if (config.behave === 'ignore-signal') {
        // Says it got the signal, so that a test can send the second one after the first was handled.
        signal.addEventListener('abort', () => logger.info({ reason: signal.reason }, 'ignoring the stop'));
        return never;
      }
      await aborted(signal);
      logger.info({ reason: signal.reason }, 'finishing early');
      return 5;
    },
    { usageOnError: true, deadlineMs: Number(process.env.FIXTURE_DEADLINE_MS ?? 10_000) },
  );
}
