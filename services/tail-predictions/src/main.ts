#!/usr/bin/env node
/** Entry point: flags and env, colour detection, signals, a closed stdout, exit codes. */
import { resolve } from 'node:path';
import { configOrExit, createLogger, parseConfig, readDotenv, SHUTDOWN_DEADLINE_MS } from '@pdm/service-kit';
import { createTailPredictions } from './app.ts';
import { crossCheck, joinRepeatedFlags, options, program, withExamples } from './options.ts';

const config = configOrExit(
  withExamples(
    parseConfig(
      program,
      options,
      {
        argv: joinRepeatedFlags(process.argv.slice(2)),
        env: { ...readDotenv(resolve('.env')), ...process.env },
      },
      crossCheck,
    ),
  ),
  program,
  { out: console.log, err: console.error, exit: process.exit },
);
// stdout carries the rows; notices go to stderr so `| jq` and `| head` see rows only.
const logger = createLogger({ name: program.name, level: config.logLevel, to: 'stderr' });
const color = config.color ?? (process.stdout.isTTY === true && config.noColor === undefined);

const tail = createTailPredictions(
  {
    source: config.source,
    log: {
      dir: resolve(config.dir),
      date: config.date,
      lines: config.lines,
      follow: config.follow,
      pollMs: config.pollMs,
    },
    mqtt: { url: config.mqttUrl, username: config.mqttUsername, password: config.mqttPassword },
    filter: { pumps: config.pumps, states: config.states, alertsOnly: config.alertsOnly },
    json: config.json,
    color,
  },
  { output: process.stdout, log: logger },
);

let exiting = false;
const quit = (code: number): void => {
  if (exiting) return;
  exiting = true;
  // Whatever hangs (a stuck broker, a stuck pipe), the view is gone within the deadline.
  setTimeout(() => process.exit(code), SHUTDOWN_DEADLINE_MS).unref();
  tail.stop().finally(() => process.exit(code));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => quit(0));
// The reader went away (`| head`, a closed pager): that is the end of the view, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (exiting) return;
  if (err.code === 'EPIPE') quit(0);
  else {
    logger.error({ err }, 'cannot write to stdout');
    quit(1);
  }
});

try {
  const started = await tail.start();
  if (started === 'done') quit(0);
  else if (started === 'missing') quit(1);
} catch (err) {
  if (!exiting) {
    logger.fatal({ err }, 'tail-predictions failed');
    quit(1);
  }
}
