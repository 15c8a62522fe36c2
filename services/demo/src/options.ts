/** Flags and environment of the demo. */
import { intOption, type OptionSpecs, sharedOptions, urlOption } from '@pdm/service-kit';
import { z } from 'zod';

export const program = {
  name: 'demo',
  summary:
    'Runs the whole pipeline on this machine with nothing but Node.js: an embedded MQTT broker (aedes) and an\n' +
    'SQLite store. 1) the training simulator (chaos on) into acquisition; 2) export and train the state\n' +
    'model and a RUL regressor; 3) the production simulator (STRESS, chaos on) into inference with both new\n' +
    'models, with a live view of every pump, message counts, live accuracy and RUL error against the ground\n' +
    'truth. The dashboard runs throughout, its address at the top. Ends with a summary; Ctrl-C stops it\n' +
    'cleanly at any moment. Everything it makes stays in --dir, which the next run starts afresh.',
};

export const options = {
  durationS: {
    schema: intOption(180, { min: 30, max: 86_400 }),
    flag: 'duration',
    env: 'DEMO_DURATION_S',
    placeholder: 'S',
    help: 'total seconds; the live phase gets what training leaves',
  },
  trainingPumps: {
    schema: intOption(100, { min: 4, max: 5000 }),
    flag: 'pumps',
    env: 'DEMO_TRAINING_PUMPS',
    placeholder: 'N',
    help: 'pumps in the training run (3 lifecycles each)',
  },
  fleetPumps: {
    schema: intOption(200, { min: 1, max: 10_000 }),
    flag: 'fleet',
    env: 'DEMO_FLEET_PUMPS',
    placeholder: 'N',
    help: 'pumps in the live fleet',
  },
  dir: {
    schema: z.string().min(1).default('data/demo'),
    flag: 'dir',
    env: 'DEMO_DIR',
    placeholder: 'DIR',
    help: 'where the store, model, prediction logs and service logs go',
  },
  seed: {
    schema: intOption(42, { min: 0, max: 2 ** 32 - 1 }),
    flag: 'seed',
    env: 'DEMO_SEED',
    placeholder: 'S',
    help: 'seed of both simulators',
  },
  store: {
    schema: z.enum(['sqlite', 'influxdb'], { message: 'expected sqlite or influxdb' }).default('sqlite'),
    flag: 'store',
    env: 'STORE',
    placeholder: 'KIND',
    help: 'influxdb: acquisition forwards to INFLUX_URL (with INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET) and the export reads from there',
  },
  externalMqtt: {
    schema: urlOption('mqtt://embedded', ['mqtt', 'mqtts', 'ws', 'wss']).transform((u) =>
      u === 'mqtt://embedded' ? undefined : u,
    ),
    flag: 'mqtt-url',
    env: 'DEMO_MQTT_URL',
    placeholder: 'URL',
    help: 'use this broker instead of the embedded one (with MQTT_USERNAME / MQTT_PASSWORD)',
  },
  dashboardPort: {
    schema: intOption(8080, { min: 0, max: 65_535 }),
    flag: 'dashboard-port',
    env: 'DEMO_DASHBOARD_PORT',
    placeholder: 'PORT',
    help: 'port of the dashboard on 127.0.0.1; when it is taken, a free one (and the demo says so); 0: any free port',
  },
  mqttUsername: sharedOptions.mqttUsername,
  mqttPassword: sharedOptions.mqttPassword,
  logLevel: sharedOptions.logLevel,
} as const satisfies OptionSpecs;
