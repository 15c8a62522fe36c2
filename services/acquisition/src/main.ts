#!/usr/bin/env node
/** Entry point: flags and env, signals, exit codes. */
import { resolve } from 'node:path';
import { missingInfluxSettings } from '@pdm/influx';
import { configOrExit, createLogger, parseConfig, readDotenv, stopOnSignals } from '@pdm/service-kit';
import { createAcquisition } from './app.ts';
import { options, program } from './options.ts';

const config = configOrExit(
  parseConfig(
    program,
    options,
    { argv: process.argv.slice(2), env: { ...readDotenv(resolve('.env')), ...process.env } },
    (c) => [
      ...(c.store === 'influxdb' ? missingInfluxSettings(c) : []),
      // Without a shared subscription every lane would receive every message.
      ...(c.shareGroup === 'none' && c.lanes !== 1
        ? ['--lanes / ACQ_LANES: must be 1 with --share-group none']
        : []),
    ],
  ),
  program,
  { out: console.log, err: console.error, exit: process.exit },
);
const logger = createLogger({ name: program.name, level: config.logLevel });

let acquisition: ReturnType<typeof createAcquisition>;
try {
  acquisition = createAcquisition(
    {
      mqtt: { url: config.mqttUrl, username: config.mqttUsername, password: config.mqttPassword },
      clientId: config.clientId,
      shareGroup: config.shareGroup,
      lanes: config.lanes,
      storeTelemetry: config.storeTelemetry,
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
  );
  await acquisition.start();
} catch (err) {
  logger.fatal({ err }, 'acquisition failed to start');
  process.exit(1);
}

stopOnSignals({
  stop: () => acquisition.stop(),
  logger,
  onSignal: (signal, handler) => process.on(signal, handler),
  exit: (code) => process.exit(code),
});
