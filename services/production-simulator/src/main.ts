#!/usr/bin/env node
/** Entry point: flags and env, signals, exit codes. */
import { resolve } from 'node:path';
import { chaosRates } from '@pdm/pump-physics';
import {
  configOrExit,
  createLogger,
  openSimulatorSink,
  parseConfig,
  readDotenv,
  SHUTDOWN_DEADLINE_MS,
} from '@pdm/service-kit';
import { createProductionSimulator } from './app.ts';
import { MODE_SETTINGS } from './modes.ts';
import { options, program } from './options.ts';

const config = configOrExit(
  parseConfig(program, options, {
    argv: process.argv.slice(2),
    env: { ...readDotenv(resolve('.env')), ...process.env },
  }),
  program,
  { out: console.log, err: console.error, exit: process.exit },
);
// With --stdout the data owns stdout, so logs go to stderr.
const logger = createLogger({
  name: program.name,
  level: config.logLevel,
  to: config.stdout ? 'stderr' : 'stdout',
});

const abort = new AbortController();
let stop = () => abort.abort();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    logger.info({ signal }, 'stopping: flushing in-flight messages');
    // The sink stops waiting for a silent broker after FLUSH_GRACE_MS; this is the last resort.
    setTimeout(() => {
      logger.error('shutdown did not finish in time: exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    stop();
  });
}

const mode = MODE_SETTINGS[config.mode];
try {
  const { sink, close } = await openSimulatorSink({
    stdout: config.stdout ? process.stdout : undefined,
    maxInFlight: config.maxInFlight,
    url: config.mqttUrl,
    username: config.mqttUsername,
    password: config.mqttPassword,
    clientId: config.clientId,
    service: program.name,
    logger,
    signal: abort.signal,
  });
  const simulator = createProductionSimulator(
    {
      fleet: {
        pumps: config.pumps,
        seed: config.seed,
        weibullBeta: config.weibullBeta,
        meanLifeS: mode.meanLifeS,
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
    },
    sink,
    logger,
  );
  stop = () => simulator.stop();
  const summary = await simulator.start();
  await close();
  logger.info({ mode: config.mode, ...summary }, 'production run complete');
  process.exitCode = summary.failed > 0 ? 1 : 0;
} catch (err) {
  if (abort.signal.aborted) logger.info('stopped before connecting');
  else {
    logger.fatal({ err }, 'production simulator failed');
    process.exitCode = 1;
  }
}
