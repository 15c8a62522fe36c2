#!/usr/bin/env node
/** Entry point: the config into the view, colour detection, exit codes. */
import { resolve } from 'node:path';
import { runProgram } from '@pdm/service-kit';
import { createTailPredictions } from './app.ts';
import { options, parseTailConfig, program } from './options.ts';

runProgram(
  program,
  options,
  async (config, { logger, signal, stdout }) => {
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
        mqtt: {
          url: config.mqttUrl,
          username: config.mqttUsername,
          password: config.mqttPassword,
          clientIdPrefix: program.name,
        },
        filter: { pumps: config.pumps, states: config.states, alertsOnly: config.alertsOnly },
        json: config.json,
        color: config.color ?? (stdout.isTTY === true && config.noColor === undefined),
      },
      { output: stdout, log: logger },
    );
    const ended = await tail.run(signal);
    return ended === 'missing' || ended === 'failed' ? 1 : 0;
  },
  // stdout carries the rows; notices go to stderr so `| jq` and `| head` see rows only.
  { parse: parseTailConfig, logTo: 'stderr' },
);
