/** Wires intake, group commit, store, retention, the forwarders and the ops endpoints; returns start/stop. */

import {
  type Alert,
  alertSchema,
  clipTopic,
  type Expectations,
  INVALID_REASONS,
  type LabelledSample,
  type ParsedTopic,
  type Prediction,
  parseTopic,
  predictionSchema,
  sharedFilter,
  type TopicKind,
  telemetrySchema,
  topicFilter,
  trainingSampleSchema,
  validateGatewayTelemetry,
  validateMessage,
} from '@pdm/contract';
import { createInfluxWriter, encodeAlert, encodePrediction, encodeSample } from '@pdm/influx';
import {
  type Logger,
  MetricsRegistry,
  type MqttSettings,
  type OpsServer,
  RateLimitedLog,
  shutdownInOrder,
  startOpsServer,
} from '@pdm/service-kit';
import {
  CONFLICT_KINDS,
  type ConflictKind,
  DEAD_LETTER_PAYLOAD_BYTES,
  type DeadLetter,
  type Durability,
  type NewSample,
  OUTBOX_TABLES,
  SampleStore,
} from '@pdm/store';
import { GroupCommitter } from './committer.ts';
import { Forwarder } from './forwarder.ts';
import { type Intake, openIntake } from './intake.ts';
import { DEFAULT_RETENTION_STEPS, Retention } from './retention.ts';

const BACKLOG_WARNINGS = [0.5, 0.8, 0.95] as const;
/** Constant label sets, made once rather than per message. */
const RECEIVED_KINDS = [
  'training',
  'telemetry',
  'gateway_telemetry',
  'predictions',
  'alerts',
  'invalid',
] as const;
type StoredKind = Exclude<(typeof RECEIVED_KINDS)[number], 'invalid' | 'gateway_telemetry'>;
const RECEIVED_LABELS = Object.fromEntries(
  RECEIVED_KINDS.map((kind) => [kind, Object.freeze({ kind })]),
) as Record<(typeof RECEIVED_KINDS)[number], Readonly<{ kind: string }>>;
const CONFLICT_LABELS = Object.fromEntries(
  CONFLICT_KINDS.map((kind) => [kind, Object.freeze({ kind })]),
) as Record<ConflictKind, Readonly<{ kind: ConflictKind }>>;

export interface AcquisitionSettings {
  readonly mqtt: Omit<
    MqttSettings,
    'clientId' | 'onMessage' | 'subscriptions' | 'signal' | 'service' | 'logger'
  >;
  readonly clientId: string;
  readonly shareGroup: string;
  readonly lanes: number;
  readonly storeTelemetry: boolean;
  /** also store inference's predictions and alerts */
  readonly storePredictions: boolean;
  /** SQLite mode: production rows older than this are deleted; 0 keeps everything */
  readonly retainMs: number;
  readonly sqlitePath: string;
  readonly durability: Durability;
  readonly maxBatch: number;
  readonly httpPort: number;
  /** set for STORE=influxdb */
  readonly influx:
    | { url: string; token: string; org: string; bucket: string; outboxMaxRows: number; retainMs: number }
    | undefined;
}

export interface Acquisition {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly metrics: MetricsRegistry;
  readonly httpPort: number | undefined;
}

export function createAcquisition(settings: AcquisitionSettings, logger: Logger): Acquisition {
  const registry = new MetricsRegistry({ processMetrics: true });
  const received = registry.counter('pdm_acquisition_received_total', 'messages received, by topic kind', [
    'kind',
  ]);
  for (const labels of Object.values(RECEIVED_LABELS)) received.inc(labels, 0);
  const stored = registry.counter('pdm_acquisition_stored_total', 'samples stored (new)');
  const duplicates = registry.counter(
    'pdm_acquisition_duplicates_total',
    'redelivered samples already stored',
  );
  const predictionsStored = registry.counter(
    'pdm_acquisition_predictions_stored_total',
    'predictions stored (new)',
  );
  const predictionDuplicates = registry.counter(
    'pdm_acquisition_predictions_duplicates_total',
    'predictions whose pump and time were stored already (redelivered, or predicted again): not stored',
  );
  const alertsStored = registry.counter('pdm_acquisition_alerts_stored_total', 'alerts stored (new)');
  const alertDuplicates = registry.counter(
    'pdm_acquisition_alerts_duplicates_total',
    'alerts whose pump, time and kind were stored already: not stored',
  );
  const pruned = registry.counter(
    'pdm_acquisition_retention_deleted_total',
    'production rows deleted because they were older than RETAIN_DAYS',
  );
  const conflicts = registry.counter(
    'pdm_acquisition_conflicts_total',
    'samples whose pump and time were stored with another topic or other values, dead-lettered, by kind',
    ['kind'],
  );
  for (const kind of CONFLICT_KINDS) conflicts.inc(CONFLICT_LABELS[kind], 0);
  const invalid = registry.counter(
    'pdm_acquisition_invalid_total',
    'invalid messages (and invalid rows of gateway messages), dead-lettered, by reason',
    ['reason'],
  );
  const gatewaySamples = registry.counter(
    'pdm_acquisition_gateway_samples_total',
    'samples (rows) received in gateway messages, valid or not',
  );
  for (const reason of INVALID_REASONS) invalid.inc({ reason }, 0);
  const commits = registry.counter('pdm_acquisition_commits_total', 'store transactions');
  const writeLatency = registry.histogram(
    'pdm_acquisition_write_latency_ms',
    'time to commit a batch to disk',
  );
  const batchSize = registry.histogram(
    'pdm_acquisition_batch_size',
    'messages per commit',
    [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
  );
  const forwarded = registry.counter('pdm_acquisition_forwarded_total', 'points accepted by InfluxDB');
  const forwardErrors = registry.counter(
    'pdm_acquisition_forward_errors_total',
    'failed InfluxDB writes, by kind',
    ['kind'],
  );

  const store = SampleStore.open(settings.sqlitePath, { durability: settings.durability });
  const influx = settings.influx;
  const backlog = () => (influx ? store.outboxBacklog() : 0);
  registry.gauge(
    'pdm_acquisition_backlog_rows',
    'rows (samples, predictions, alerts) waiting to be forwarded to InfluxDB',
    {
      collect: (g) => g.set(backlog()),
    },
  );
  registry.gauge('pdm_acquisition_backlog_ratio', 'backlog as a share of OUTBOX_MAX_ROWS', {
    collect: (g) => g.set(influx ? backlog() / influx.outboxMaxRows : 0),
  });

  let warnedAt = 0;
  const checkBacklog = (): boolean => {
    if (!influx) return true;
    const ratio = backlog() / influx.outboxMaxRows;
    const level = BACKLOG_WARNINGS.filter((w) => ratio >= w).at(-1) ?? 0;
    if (level > warnedAt)
      logger.warn(
        { backlog: backlog(), max: influx.outboxMaxRows, percent: Math.round(ratio * 100) },
        'InfluxDB backlog filling up',
      );
    warnedAt = level;
    return ratio < 1;
  };

  const committer = new GroupCommitter(
    store,
    { maxBatch: settings.maxBatch, mayCommit: checkBacklog },
    {
      writeLatency,
      batchSize,
      onCommit: (result) => {
        commits.inc();
        stored.inc(result.samples.inserted);
        duplicates.inc(result.samples.duplicates);
        predictionsStored.inc(result.predictions.inserted);
        predictionDuplicates.inc(result.predictions.duplicates);
        alertsStored.inc(result.alerts.inserted);
        alertDuplicates.inc(result.alerts.duplicates);
        for (const { kind, sample, detail } of result.samples.conflicts) {
          conflicts.inc(CONFLICT_LABELS[kind]);
          rateLimited.warn(
            'conflict',
            { topic: sample.topic, conflict: kind, detail },
            'sample conflicts with the stored one of the same pump and time: dead-lettered',
          );
        }
      },
    },
    logger.child({ component: 'store' }),
  );
  // One forwarder per outbox table: each its own cursor and backoff, all through one writer.
  const writer =
    influx &&
    createInfluxWriter({
      url: influx.url,
      token: influx.token,
      org: influx.org,
      bucket: influx.bucket,
      timeoutMs: 30_000,
    });
  const forwarders =
    influx && writer
      ? OUTBOX_TABLES.map(
          (table) =>
            new Forwarder(
              store,
              writer,
              { table, batchLines: 5000, concurrency: 2, retainMs: influx.retainMs },
              { forwarded, errors: forwardErrors },
              logger.child({ component: 'forwarder', table }),
            ),
        )
      : [];
  // RETAIN_DAYS is SQLite mode's: with InfluxDB the bucket's retention applies, and the outbox its own.
  const retention =
    !influx && settings.retainMs > 0
      ? new Retention(
          store,
          { retainMs: settings.retainMs, ...DEFAULT_RETENTION_STEPS },
          pruned,
          logger.child({ component: 'retention' }),
        )
      : undefined;

  const rateLimited = new RateLimitedLog(logger.child({ component: 'validation' }));
  const expectations: Expectations<{ pump_id: string }> = {
    training: trainingSampleSchema,
    ...(settings.storeTelemetry ? { telemetry: telemetrySchema } : {}),
    ...(settings.storePredictions ? { predictions: predictionSchema, alerts: alertSchema } : {}),
  };
  // Gateway messages carry telemetry too, many pumps to a message; they are validated row by row.
  const kinds: TopicKind[] = [
    ...(Object.keys(expectations) as TopicKind[]),
    ...(settings.storeTelemetry ? (['gateway_telemetry'] as const) : []),
  ];
  const filters = kinds.map((kind) =>
    settings.shareGroup === 'none' ? topicFilter(kind) : sharedFilter(settings.shareGroup, kind),
  );

  /** Counts and logs an invalid message (or gateway row), and makes its dead letter. */
  const deadLetter = (rawTopic: string, payload: Buffer, reason: string, detail: string): DeadLetter => {
    invalid.inc({ reason });
    const topic = clipTopic(rawTopic);
    rateLimited.warn(reason, { topic, detail, bytes: payload.length }, 'invalid message dead-lettered');
    return {
      origin: 'mqtt',
      topic,
      reason,
      detail,
      payload: payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES),
      payloadBytes: payload.length,
    };
  };

  /** Dead-letters an invalid message; resolves once the dead letter is on disk. */
  const reject = (rawTopic: string, payload: Buffer, reason: string, detail: string): Promise<void> =>
    committer.addDeadLetter(deadLetter(rawTopic, payload, reason, detail));

  /** In InfluxDB mode a record's line is encoded once, on arrival, so the forwarder only reads it back. */
  const lineOf = <T>(encode: (record: T) => string, record: T): string | undefined | Error => {
    if (!influx) return undefined;
    try {
      return encode(record);
    } catch (err) {
      return err as Error;
    }
  };

  /**
   * A gateway message: each row on its own. A bad row is dead-lettered (its dead letter holds the row and
   * names its place in the message) and its neighbours are stored; the message is acknowledged once all
   * of it is committed, in one transaction. A redelivery finds its samples stored and stores nothing again.
   */
  const onGatewayMessage = (topic: string, payload: Buffer, parsed: ParsedTopic): Promise<void> => {
    const verdict = validateGatewayTelemetry(topic, payload, parsed);
    if (!verdict.ok) {
      received.inc(RECEIVED_LABELS.invalid);
      return reject(topic, payload, verdict.reason, verdict.detail);
    }
    received.inc(RECEIVED_LABELS.gateway_telemetry);
    gatewaySamples.inc(verdict.samples.length + verdict.rejected.length);
    const samples: NewSample[] = [];
    const letters: DeadLetter[] = verdict.rejected.map((r) =>
      deadLetter(topic, Buffer.from(JSON.stringify(r.row) ?? 'undefined'), r.reason, r.detail),
    );
    for (const sample of verdict.samples) {
      const outboxLine = lineOf(encodeSample, sample);
      if (outboxLine instanceof Error) {
        letters.push(
          deadLetter(topic, Buffer.from(JSON.stringify(sample)), 'unencodable', outboxLine.message),
        );
        continue;
      }
      samples.push({ sample, source: 'telemetry', outboxLine, topic });
    }
    return committer.addMany(samples, letters);
  };

  const onMessage = (topic: string, payload: Buffer): Promise<void> => {
    const parsed = parseTopic(topic);
    if (parsed?.kind === 'gateway_telemetry' && settings.storeTelemetry)
      return onGatewayMessage(topic, payload, parsed);
    const verdict = validateMessage(topic, payload, expectations, parsed);
    if (!verdict.ok) {
      received.inc(RECEIVED_LABELS.invalid);
      return reject(topic, payload, verdict.reason, verdict.detail);
    }
    const kind = verdict.kind as StoredKind;
    received.inc(RECEIVED_LABELS[kind]);
    if (kind === 'predictions') {
      const prediction = verdict.message as Prediction;
      const outboxLine = lineOf(encodePrediction, prediction);
      if (outboxLine instanceof Error) return reject(topic, payload, 'unencodable', outboxLine.message);
      return committer.addPrediction({ prediction, outboxLine });
    }
    if (kind === 'alerts') {
      const alert = verdict.message as Alert;
      const outboxLine = lineOf(encodeAlert, alert);
      if (outboxLine instanceof Error) return reject(topic, payload, 'unencodable', outboxLine.message);
      return committer.addAlert({ alert, outboxLine });
    }
    const sample = verdict.message as LabelledSample;
    const outboxLine = lineOf(encodeSample, sample);
    if (outboxLine instanceof Error) return reject(topic, payload, 'unencodable', outboxLine.message);
    return committer.addSample({ sample, source: kind, outboxLine, topic, payload });
  };

  let intake: Intake | undefined;
  let ops: OpsServer | undefined;
  let stopping: Promise<void> | undefined;

  return {
    metrics: registry,
    get httpPort() {
      return ops?.port;
    },
    async start() {
      ops = await startOpsServer({
        port: settings.httpPort,
        registry,
        logger,
        health: () => {
          const lanes = intake?.connectedLanes() ?? 0;
          const storeError = committer.failing?.message;
          const subscription = intake?.subscriptionProblem();
          return {
            healthy: lanes === settings.lanes && !subscription && !storeError && !committer.paused,
            checks: {
              mqtt: `${lanes}/${settings.lanes} lanes connected`,
              subscription: subscription ?? 'ok',
              store: storeError ?? 'ok',
              intake: committer.paused ? 'paused: InfluxDB backlog full' : 'running',
              ...(influx
                ? { influxdb: forwarders.find((f) => f.problem)?.problem ?? 'ok', backlog: backlog() }
                : {}),
            },
          };
        },
      });
      logger.info(
        {
          store: settings.sqlitePath,
          influxdb: influx?.url ?? 'off',
          retainDays: influx ? undefined : settings.retainMs / 86_400_000 || 'forever',
          filters,
          lanes: settings.lanes,
        },
        'acquisition starting',
      );
      for (const f of forwarders) f.start();
      retention?.start();
      intake = openIntake({
        lanes: settings.lanes,
        mqtt: settings.mqtt,
        clientId: settings.clientId,
        service: 'acquisition',
        filters,
        onMessage,
        logger,
      });
    },
    stop() {
      // Stop taking input, finish the in-flight write, flush, close: each step on its own.
      stopping ??= (async () => {
        await shutdownInOrder(logger, [
          ['stop taking messages', () => intake?.stopIntake()],
          // Committing sends the PUBACKs of what is pending: the broker need not redeliver it.
          ['commit pending messages', () => committer.flush()],
          ['close MQTT lanes', () => intake?.close()],
          ['stop retention', () => retention?.stop()],
          ['stop forwarders', () => Promise.all(forwarders.map((f) => f.stop()))],
          ['close store', () => store.close()],
          ['close HTTP server', () => ops?.close()],
        ]);
        logger.info('acquisition stopped');
      })();
      return stopping;
    },
  };
}
