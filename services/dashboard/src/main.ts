#!/usr/bin/env node
/** Entry point: the config into the app's settings; runService does flags, env, signals and exit codes. */
import { resolve } from 'node:path';
import { runService } from '@pdm/service-kit';
import { createDashboard } from './app.ts';
import { crossCheck, options, parseMetricsTargets, program } from './options.ts';

runService(
  program,
  options,
  (config, { logger }) =>
    createDashboard(
      {
        http: { host: config.httpHost, port: config.httpPort },
        auth: config.password === undefined ? undefined : { user: config.user, password: config.password },
        mqtt: { url: config.mqttUrl, username: config.mqttUsername, password: config.mqttPassword },
        history:
          config.store === 'influxdb'
            ? {
                store: 'influxdb',
                influx: {
                  url: config.influxUrl,
                  token: config.influxToken as string,
                  org: config.influxOrg as string,
                  bucket: config.influxBucket,
                },
              }
            : { store: 'sqlite', sqlitePath: resolve(config.sqlitePath) },
        modelPath: resolve(config.modelPath),
        metricsTargets: parseMetricsTargets(config.metricsUrls).targets,
        staleAfterMs: config.staleAfterS * 1000,
        offlineAfterMs: config.offlineAfterS * 1000,
      },
      logger,
    ),
  { crossCheck },
);
