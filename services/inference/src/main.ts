#!/usr/bin/env node
/** Entry point: the config into the app's settings; runService does flags, env, signals and exit codes. */
import { resolve } from 'node:path';
import { runService } from '@pdm/service-kit';
import { createInference } from './app.ts';
import { crossCheck, options, program } from './options.ts';

runService(
  program,
  options,
  (config, { logger }) =>
    createInference(
      {
        mqtt: { url: config.mqttUrl, username: config.mqttUsername, password: config.mqttPassword },
        clientId: config.clientId ?? `inference-${config.replica}`,
        modelPath: resolve(config.modelPath),
        rulModelPath: resolve(config.rulModelPath),
        predictionsDir: resolve(config.predictionsDir),
        httpPort: config.httpPort,
        replicas: config.replicas,
        replica: config.replica,
        maxBatch: config.maxBatch,
        maxWaitMs: config.maxWaitMs,
        smoothWindow: config.smoothWindow,
        smoothAgree: config.smoothAgree,
        smoothCalm: config.smoothCalm,
        rulSmoothWindow: config.rulSmoothWindow,
        alertRul:
          config.alertRulH === undefined
            ? undefined
            : { belowH: config.alertRulH, rearmFactor: config.alertRulRearm },
        alertMinIntervalS: config.alertMinIntervalS,
        maxPumps: config.maxPumps,
        pumpIdleEvictS: config.pumpIdleEvictS,
        retainDays: config.retainDays,
        scoreEveryS: config.scoreEveryS,
      },
      logger,
    ),
  { crossCheck },
);
