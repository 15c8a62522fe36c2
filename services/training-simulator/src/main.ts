#!/usr/bin/env node
/** Entry point: the config into the simulation; runProgram does flags, env, signals and exit codes. */
import { chaosRates } from '@pdm/pump-physics';
import { runProgram, runSimulation } from '@pdm/service-kit';
import { createTrainingSimulator } from './app.ts';
import { resolveClock } from './clock.ts';
import { options, program } from './options.ts';

runProgram(
  program,
  options,
  async (config, context) => {
    const { logger } = context;
    const clock = resolveClock(config);
    const summary = await runSimulation(config, { ...context, service: program.name }, (sink) =>
      createTrainingSimulator(
        {
          pumps: config.pumps,
          seed: config.seed,
          lifetime: clock.lifetime,
          intervalS: clock.intervalS,
          postFailureSamples: clock.postFailureSamples,
          startMs: Date.parse(config.start),
          idPrefix: config.idPrefix ?? `train-s${config.seed}`,
          chaos: chaosRates(config),
          lifecycles: config.lifecycles,
        },
        sink,
        logger,
      ),
    );
    if (summary) logger.info({ mode: config.mode, ...summary }, 'training run complete');
    return summary && summary.failed > 0 ? 1 : 0;
  },
  // With --stdout the data owns stdout, so logs go to stderr.
  { logTo: (config) => (config.stdout ? 'stderr' : 'stdout') },
);
