#!/usr/bin/env node
/** Entry point: flags and env, signals, exit codes. */
import { resolve } from 'node:path';
import { configOrExit, parseConfig, readDotenv } from '@pdm/service-kit';
import { createDemo, type DemoSummary } from './app.ts';
import { options, program } from './options.ts';

const env = { ...readDotenv(resolve('.env')), ...process.env };
const config = configOrExit(parseConfig(program, options, { argv: process.argv.slice(2), env }), program, {
  out: console.log,
  err: console.error,
  exit: process.exit,
});

const demo = createDemo(
  {
    durationS: config.durationS,
    trainingPumps: config.trainingPumps,
    fleetPumps: config.fleetPumps,
    dir: resolve(config.dir),
    seed: config.seed,
    store: config.store,
    externalMqtt: config.externalMqtt,
    mqttUsername: config.mqttUsername,
    mqttPassword: config.mqttPassword,
    influxEnv: {
      INFLUX_URL: env.INFLUX_URL,
      INFLUX_TOKEN: env.INFLUX_TOKEN,
      INFLUX_ORG: env.INFLUX_ORG,
      INFLUX_BUCKET: env.INFLUX_BUCKET,
    },
  },
  {
    write: (t) => process.stdout.write(t),
    tty: process.stdout.isTTY === true,
    columns: process.stdout.columns ?? 100,
  },
);

let interrupted = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted += 1;
    if (interrupted > 1) process.exit(130);
    process.stdout.write('\nstopping: letting every program finish cleanly (Ctrl-C again to force)…\n');
    demo.stop();
  });
}

try {
  const summary = await demo.run();
  process.stdout.write(report(summary));
  process.exitCode = 0;
} catch (err) {
  process.stderr.write(`\ndemo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}

function report(s: DemoSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return [
    '',
    s.completed ? 'Demo complete.' : 'Demo stopped early.',
    `  training samples stored   ${n(s.trainingSamples)}`,
    `  balanced training rows    ${n(s.exportedRows)}`,
    `  model held-out macro-F1   ${s.modelMacroF1 === undefined ? '—' : s.modelMacroF1.toFixed(3)}`,
    `  live predictions          ${n(s.predictions)}`,
    `  live accuracy             ${s.liveAccuracy === undefined ? '—' : s.liveAccuracy.toFixed(3)} (smoothed state against the ground truth)`,
    `  alarms raised             ${n(s.alarms)}`,
    '',
    `  store        ${s.paths.store}`,
    `  model        ${s.paths.model}`,
    `  predictions  ${s.paths.predictions}/   (pnpm tail-predictions --dir ${s.paths.predictions})`,
    `  service logs ${s.paths.logs}/`,
    '',
  ].join('\n');
}
