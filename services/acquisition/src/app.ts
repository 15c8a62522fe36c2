/** Wires intake, group commit, store, forwarder and the ops endpoints; returns start/stop. */

import {
  clipTopic,
  INVALID_REASONS,
  sharedFilter,
  telemetrySchema,
  topicFilter,
  trainingSampleSchema,
  validateMessage,
} from '@pdm/contract';
import { createInfluxWriter, encodeSample } from '@pdm/influx';
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
  SampleStore,
} from '@pdm/store';
import { GroupCommitter } from './committer.ts';
import { Forwarder } from './forwarder.ts';
import { type Intake, openIntake } from './intake.ts';

const BACKLOG_WARNINGS = [0.5, 0.8, 0.95] as const;
/** Constant label sets, made once rather than per message. */
const RECEIVED_KINDS = ['training', 'telemetry', 'invalid'] as const;
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
  const conflicts = registry.counter(
    'pdm_acquisition_conflicts_total',
    'samples whose pump and time were stored with another topic or other values, dead-lettered, by kind',
    ['kind'],
  );
  for (const kind of CONFLICT_KINDS) conflicts.inc(CONFLICT_LABELS[kind], 0);
  const invalid = registry.counter(
    'pdm_acquisition_invalid_total',
    'invalid messages, dead-lettered, by reason',
    ['reason'],
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
  registry.gauge('pdm_acquisition_backlog_rows', 'samples waiting to be forwarded to InfluxDB', {
    collect: (g) => g.set(backlog()),
  });
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
      onCommit: (_samples, result) => {
        commits.inc();
        stored.inc(result.samples.inserted);
        duplicates.inc(result.samples.duplicates);
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
  const forwarder = influx
    ? new Forwarder(
        store,
        createInfluxWriter({
          url: influx.url,
          token: influx.token,
          org: influx.org,
          bucket: influx.bucket,
          timeoutMs: 30_000,
        }),
        { batchLines: 5000, concurrency: 2, retainMs: influx.retainMs },
        { forwarded, errors: forwardErrors },
        logger.child({ component: 'forwarder' }),
      )
    : undefined;

  const rateLimited = new RateLimitedLog(logger.child({ component: 'validation' }));
  const expectations = settings.storeTelemetry
    ? { training: trainingSampleSchema, telemetry: telemetrySchema }
    : { training: trainingSampleSchema };
  const filters = (Object.keys(expectations) as ('training' | 'telemetry')[]).map((kind) =>
    settings.shareGroup === 'none' ? topicFilter(kind) : sharedFilter(settings.shareGroup, kind),
  );

  /** Counts, logs and dead-letters an invalid message; resolves once the dead letter is on disk. */
  const reject = (rawTopic: string, payload: Buffer, reason: string, detail: string): Promise<void> => {
    invalid.inc({ reason });
    const topic = clipTopic(rawTopic);
    rateLimited.warn(reason, { topic, detail, bytes: payload.length }, 'invalid message dead-lettered');
    const letter: DeadLetter = {
      origin: 'mqtt',
      topic,
      reason,
      detail,
      payload: payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES),
      payloadBytes: payload.length,
    };
    return committer.addDeadLetter(letter);
  };

  const onMessage = (topic: string, payload: Buffer): Promise<void> => {
    const verdict = validateMessage(topic, payload, expectations);
    received.inc(RECEIVED_LABELS[verdict.ok ? (verdict.kind as 'training' | 'telemetry') : 'invalid']);
    if (verdict.ok) {
      const source = verdict.kind as 'training' | 'telemetry';
      // In InfluxDB mode the line is encoded once, now, so the forwarder only reads it back.
      if (!influx) return committer.addSample({ sample: verdict.message, source, topic, payload });
      let outboxLine: string;
      try {
        outboxLine = encodeSample(verdict.message);
      } catch (err) {
        return reject(topic, payload, 'unencodable', (err as Error).message);
      }
      return committer.addSample({ sample: verdict.message, source, outboxLine, topic, payload });
    }
    return reject(topic, payload, verdict.reason, verdict.detail);
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
              ...(influx ? { influxdb: forwarder?.problem ?? 'ok', backlog: backlog() } : {}),
            },
          };
        },
      });
      logger.info(
        { store: settings.sqlitePath, influxdb: influx?.url ?? 'off', filters, lanes: settings.lanes },
        'acquisition starting',
      );
      forwarder?.start();
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
          ['stop forwarder', () => forwarder?.stop()],
          ['close store', () => store.close()],
          ['close HTTP server', () => ops?.close()],
        ]);
        logger.info('acquisition stopped');
      })();
      return stopping;
    },
  };
}
