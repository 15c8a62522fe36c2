#!/usr/bin/env node
/** Entry point: the config into the demo, Ctrl-C, the closing report. */
import { resolve } from 'node:path';
import { runProgram } from '@pdm/service-kit';
import { createDemo } from './app.ts';
import { options, program } from './options.ts';
import { renderSummary } from './view.ts';

runProgram(
  program,
  options,
  async (config, { env, signal, stdout, stderr, cwd, execPath }) => {
    const demo = createDemo(
      {
        durationS: config.durationS,
        trainingPumps: config.trainingPumps,
        fleetPumps: config.fleetPumps,
        dir: resolve(cwd, config.dir),
        seed: config.seed,
        store: config.store,
        externalMqtt: config.externalMqtt,
        mqttUsername: config.mqttUsername,
        mqttPassword: config.mqttPassword,
        dashboardPort: config.dashboardPort,
        influxEnv: {
          INFLUX_URL: env.INFLUX_URL,
          INFLUX_TOKEN: env.INFLUX_TOKEN,
          INFLUX_ORG: env.INFLUX_ORG,
          INFLUX_BUCKET: env.INFLUX_BUCKET,
        },
      },
      {
        write: (t) => stdout.write(t),
        tty: stdout.isTTY === true,
        columns: stdout.columns ?? 100,
        cwd,
        execPath,
        env,
      },
    );
    signal.addEventListener('abort', () => {
      stdout.write('\nstopping: letting every program finish cleanly (Ctrl-C again to force)…\n');
      demo.stop();
    });
    try {
      stdout.write(renderSummary(await demo.run()));
      return 0;
    } catch (err) {
      stderr.write(`\ndemo failed: ${(err as Error).message}\n`);
      return 1;
    }
  },
  // The terminal is the live view's. Each program the demo runs has a shutdown deadline of its own,
  // and the demo waits for them all; a second Ctrl-C leaves at once.
  { logTo: 'stderr', deadlineMs: false },
);
