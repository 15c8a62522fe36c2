#!/usr/bin/env node
/** Entry point: flags and env, signals, exit codes. */
import { resolve } from 'node:path';
import { configOrExit, createLogger, parseConfig, readDotenv, stopOnSignals } from '@pdm/service-kit';
import { createInference } from './app.ts';
import { options, program } from './options.ts';

const config = configOrExit(
  parseConfig(
    program,
    options,
    { argv: process.argv.slice(2), env: { ...readDotenv(resolve('.env')), ...process.env } },
    (c) => [
      ...(c.replica < c.replicas
        ? []
        : [`--replica / INFERENCE_REPLICA: must be below --replicas (${c.replicas})`]),
      ...(c.smoothAgree <= c.smoothWindow
        ? []
        : [`--smooth-agree / SMOOTH_AGREE: cannot exceed --smooth-window (${c.smoothWindow})`]),
      ...(c.smoothCalm <= c.smoothWindow
        ? []
        : [`--smooth-calm / SMOOTH_CALM: cannot exceed --smooth-window (${c.smoothWindow})`]),
    ],
  ),
  program,
  { out: console.log, err: console.error, exit: process.exit },
);
const logger = createLogger({ name: program.name, level: config.logLevel });

const inference = createInference(
  {
    mqtt: { url: config.mqttUrl, username: config.mqttUsername, password: config.mqttPassword },
    clientId: config.clientId ?? `inference-${config.replica}`,
    modelPath: resolve(config.modelPath),
    predictionsDir: resolve(config.predictionsDir),
    httpPort: config.httpPort,
    replicas: config.replicas,
    replica: config.replica,
    maxBatch: config.maxBatch,
    maxWaitMs: config.maxWaitMs,
    smoothWindow: config.smoothWindow,
    smoothAgree: config.smoothAgree,
    smoothCalm: config.smoothCalm,
    alertMinIntervalS: config.alertMinIntervalS,
    maxPumps: config.maxPumps,
    pumpIdleEvictS: config.pumpIdleEvictS,
    retainDays: config.retainDays,
    scoreEveryS: config.scoreEveryS,
  },
  logger,
);

stopOnSignals({
  stop: () => inference.stop(),
  logger,
  onSignal: (signal, handler) => process.on(signal, handler),
  exit: (code) => process.exit(code),
});

try {
  await inference.start();
} catch (err) {
  if ((err as Error).message !== 'stopped while waiting for a model') {
    logger.fatal({ err }, 'inference failed to start');
    process.exit(1);
  }
}
