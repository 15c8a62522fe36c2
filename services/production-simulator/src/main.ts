#!/usr/bin/env node
/** Entry point: the config into the simulation; runProgram does flags, env, signals and exit codes. */
import { chaosRates, MODE_SETTINGS, modeLifetime } from '@pdm/pump-physics';
import { runProgram, runSimulation } from '@pdm/service-kit';
import { createProductionSimulator } from './app.ts';
import { options, program } from './options.ts';

runProgram(
  program,
  options,
  async (config, context) => {
    const { logger } = context;
    const mode = MODE_SETTINGS[config.mode];
    const summary = await runSimulation(config, { ...context, service: program.name }, (sink) =>
      createProductionSimulator(
        {
          fleet: {
            pumps: config.pumps,
            seed: config.seed,
            lifetime: modeLifetime(config.mode, config.weibullBeta),
            repairDowntimeS: config.repairDowntimeS ?? mode.repairDowntimeS,
            intervalS: config.intervalMs / 1000,
            idPrefix: config.idPrefix,
            chaos: chaosRates(config),
          },
          durationS: config.durationS,
          groundTruth: config.groundTruth,
          statsEveryS: config.statsEveryS,
          lagWarmupS: config.lagWarmupS,
          timeScale: config.timeScale,
          gatewaySize: config.gatewaySize,
        },
        sink,
        logger,
      ),
    );
    if (summary) logger.info({ mode: config.mode, ...summary }, 'production run complete');
    return summary && summary.failed > 0 ? 1 : 0;
  },
  // With --stdout the data owns stdout, so logs go to stderr.
  { logTo: (config) => (config.stdout ? 'stderr' : 'stdout') },
);
