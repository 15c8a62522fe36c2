#!/usr/bin/env node
/** Entry point: flags and env, signals, exit codes. */
import { resolve } from 'node:path';
import {
  connectMqtt,
  createLogger,
  EXIT_CONFIG,
  jsonLinesSink,
  type MessageSink,
  mqttSink,
  parseConfig,
  Qos1Publisher,
  readDotenv,
} from '@pdm/telemetry';
import { createTrainingSimulator } from './app.ts';
import { options, program } from './options.ts';

const parsed = parseConfig(program, options, {
  argv: process.argv.slice(2),
  env: { ...readDotenv(resolve('.env')), ...process.env },
});
if (parsed.kind === 'help') {
  console.log(parsed.text);
  process.exit(0);
}
if (parsed.kind === 'invalid') {
  console.error(
    `${program.name}: invalid configuration\n${parsed.problems.map((p) => `  - ${p}`).join('\n')}\n\nRun with --help for usage.`,
  );
  process.exit(EXIT_CONFIG);
}
const config = parsed.config;
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
    stop();
  });
}

try {
  let sink: MessageSink;
  let close = async () => {};
  if (config.stdout) sink = jsonLinesSink(process.stdout);
  else {
    const mqtt = await connectMqtt({
      url: config.mqttUrl,
      username: config.mqttUsername,
      password: config.mqttPassword,
      clientId: config.clientId,
      service: program.name,
      logger,
      signal: abort.signal,
    });
    const window = Math.min(config.maxInFlight, mqtt.serverReceiveMaximum);
    sink = mqttSink(
      new Qos1Publisher(mqtt.client, window, (err, topic) => logger.error({ err, topic }, 'publish failed')),
    );
    close = () => mqtt.close();
  }
  const simulator = createTrainingSimulator(
    {
      pumps: config.pumps,
      seed: config.seed,
      lifetime: {
        beta: config.weibullBeta,
        eta: config.weibullEtaH,
        bathtub: { infantShare: config.infantShare, randomShare: config.randomShare },
      },
      intervalS: config.intervalS,
      postFailureSamples: config.postFailureSamples,
      startMs: Date.parse(config.start),
      idPrefix: config.idPrefix ?? `train-s${config.seed}`,
    },
    sink,
    logger,
  );
  stop = () => simulator.stop();
  const summary = await simulator.start();
  await close();
  logger.info(summary, 'training run complete');
  process.exitCode = summary.failed > 0 ? 1 : 0;
} catch (err) {
  if (abort.signal.aborted) logger.info('stopped before connecting');
  else {
    logger.fatal({ err }, 'training simulator failed');
    process.exitCode = 1;
  }
}
