/** Flags and environment of the acquisition service. The export CLI reads the same store variables. */
import { influxOptions, missingInfluxSettings } from '@pdm/influx';
import {
  booleanOption,
  type ConfigOf,
  clientIdOption,
  intOption,
  numberOption,
  type OptionSpecs,
  sharedOptions,
} from '@pdm/service-kit';
import { z } from 'zod';

export const program = {
  name: 'acquisition',
  summary:
    'Subscribes to pdm/v1/training/+, pdm/v1/telemetry/+ and pdm/v1/gateway/+/telemetry (unless\n' +
    "--no-store-telemetry), and inference's pdm/v1/predictions/+ and pdm/v1/alerts/+ (unless\n" +
    '--no-store-predictions) with QoS 1 on a persistent session, validates every message (every row of a\n' +
    'gateway message) and stores it in SQLite, acknowledging it only once it is on disk. With\n' +
    'STORE=influxdb the SQLite file is the durable outbox a forwarder drains into InfluxDB 2.x.\n' +
    'Invalid messages are dead-lettered with their reason. In SQLite mode production rows older than\n' +
    '--retain-days are deleted in small steps; labelled training samples are kept.',
};

export const options = {
  store: {
    schema: z.enum(['sqlite', 'influxdb'], { message: 'expected sqlite or influxdb' }).default('sqlite'),
    flag: 'store',
    env: 'STORE',
    placeholder: 'KIND',
    help: 'sqlite: the SQLite file is the store; influxdb: it is the outbox, forwarded to InfluxDB',
  },
  sqlitePath: {
    schema: z.string().min(1).default('data/pdm.sqlite'),
    flag: 'sqlite-path',
    env: 'SQLITE_PATH',
    placeholder: 'PATH',
    help: 'SQLite file (created if absent), relative to the working directory',
  },
  durability: {
    schema: z
      .string()
      .transform((s) => s.toUpperCase())
      .pipe(z.enum(['FULL', 'NORMAL'], { message: 'expected full or normal' }))
      .default('FULL'),
    flag: 'durability',
    env: 'SQLITE_DURABILITY',
    placeholder: 'D',
    help: 'full: fsync each commit, survives power loss; normal: survives kill -9, fsync at checkpoints',
  },
  storeTelemetry: {
    schema: booleanOption(true),
    flag: 'store-telemetry',
    env: 'STORE_TELEMETRY',
    boolean: true,
    negatable: true,
    help: 'store raw production telemetry (pdm/v1/telemetry/+, pdm/v1/gateway/+/telemetry) beside the labelled training samples',
  },
  storePredictions: {
    schema: booleanOption(true),
    flag: 'store-predictions',
    env: 'STORE_PREDICTIONS',
    boolean: true,
    negatable: true,
    help: "store inference's predictions and alerts (pdm/v1/predictions/+, pdm/v1/alerts/+)",
  },
  retainDays: {
    schema: numberOption(30, { min: 0 }),
    flag: 'retain-days',
    env: 'RETAIN_DAYS',
    placeholder: 'D',
    help: "SQLite mode: days production rows (telemetry, predictions, alerts, dead letters) are kept; 0 keeps them forever. Labelled training samples are never deleted. With STORE=influxdb the bucket's retention applies instead",
  },
  shareGroup: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "_" or "-"')
      .default('none'),
    flag: 'share-group',
    env: 'MQTT_SHARE_GROUP',
    placeholder: 'G',
    help: '"none": one plain subscription, kept by the broker across its restarts; a group name: replicas in the group split the messages (scale-out), but Mosquitto 2.0 drops shared subscriptions when it restarts, losing what is published before they are renewed',
  },
  lanes: {
    schema: intOption(1, { min: 1, max: 256 }),
    flag: 'lanes',
    env: 'ACQ_LANES',
    placeholder: 'N',
    help: 'MQTT connections in the shared group (1 without one). Never lower it while the broker holds queued messages for the old lanes',
  },
  maxBatch: {
    schema: intOption(2000, { min: 1, max: 100_000 }),
    flag: 'max-batch',
    env: 'ACQ_MAX_BATCH',
    placeholder: 'N',
    help: 'most messages committed in one transaction',
  },
  ...influxOptions,
  outboxMaxRows: {
    schema: intOption(10_000_000, { min: 1000 }),
    flag: 'outbox-max-rows',
    env: 'OUTBOX_MAX_ROWS',
    placeholder: 'N',
    help: 'InfluxDB backlog bound, samples, predictions and alerts together: warnings from 50 %; when full, intake pauses (the broker queues) rather than drop',
  },
  outboxRetainH: {
    schema: numberOption(24, { min: 0 }),
    flag: 'outbox-retain-h',
    env: 'OUTBOX_RETAIN_H',
    placeholder: 'H',
    help: 'hours forwarded rows stay in the SQLite file before they are pruned',
  },
  httpPort: {
    schema: intOption(9101, { min: 0, max: 65_535 }),
    flag: 'http-port',
    env: 'HTTP_PORT',
    placeholder: 'PORT',
    help: '/healthz and /metrics port (0: any free port)',
  },
  ...sharedOptions,
  clientId: clientIdOption('acquisition'),
} as const satisfies OptionSpecs;

/** Rules across settings; each problem names its flag. */
export function crossCheck(c: ConfigOf<typeof options>): string[] {
  return [
    ...(c.store === 'influxdb' ? missingInfluxSettings(c) : []),
    // Without a shared subscription every lane would receive every message.
    ...(c.shareGroup === 'none' && c.lanes !== 1
      ? ['--lanes / ACQ_LANES: must be 1 with --share-group none']
      : []),
  ];
}
