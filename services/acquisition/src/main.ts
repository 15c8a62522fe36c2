#!/usr/bin/env node
/** Entry point: the config into the app's settings; runService does flags, env, signals and exit codes. */
import { resolve } from 'node:path';
import { runService } from '@pdm/service-kit';
import { createAcquisition } from './app.ts';
import { crossCheck, options, program } from './options.ts';

runService(
  program,
  options,
  (config, { logger }) =>
    createAcquisition(
      {
        mqtt: { url: config.mqttUrl, username: config.mqttUsername, password: config.mqttPassword },
        clientId: config.clientId,
        shareGroup: config.shareGroup,
        lanes: config.lanes,
        storeTelemetry: config.storeTelemetry,
        storePredictions: config.storePredictions,
        retainMs: config.retainDays * 86_400_000,
        sqlitePath: resolve(config.sqlitePath),
        durability: config.durability,
        maxBatch: config.maxBatch,
        httpPort: config.httpPort,
        influx:
          config.store === 'influxdb'
            ? {
                url: config.influxUrl,
                token: config.influxToken as string,
                org: config.influxOrg as string,
                bucket: config.influxBucket,
                outboxMaxRows: config.outboxMaxRows,
                retainMs: config.outboxRetainH * 3_600_000,
              }
            : undefined,
      },
      logger,
    ),
  { crossCheck },
);
