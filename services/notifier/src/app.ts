/**
 * Wires the notifier: intake from `pdm/v1/alerts/+` into the SQLite file, the dispatcher's groups, the
 * outbox's delivery lanes, Telegram button presses, acks onto `pdm/v1/acks/<pump_id>`, and the HTTP
 * endpoints (/healthz, /metrics, /api/silences).
 */
import {
  ALARM_STATES,
  ALERT_KINDS,
  type Alert,
  alertSchema,
  clipTopic,
  INVALID_REASONS,
  topicFilter,
  validateMessage,
} from '@pdm/contract';
import {
  connectMqtt,
  type Logger,
  MetricsRegistry,
  type MqttConnection,
  type MqttSettings,
  type OpsServer,
  RateLimitedLog,
  shutdownInOrder,
  startOpsServer,
} from '@pdm/service-kit';
import { AckDesk } from './acks.ts';
import { type Clock, systemClock } from './clock.ts';
import type { NotifierConfig, TelegramReceiverConfig } from './config.ts';
import { NotifierDb } from './db.ts';
import { Delivery } from './delivery.ts';
import { Dispatcher } from './dispatcher.ts';
import { silencesApi } from './http-api.ts';
import { createReceivers } from './receivers/index.ts';
import { TelegramUpdates } from './telegram-updates.ts';

/** How long delivered notifications, resolved alarms, ended silences and taken-in alerts are kept. */
export const RETAIN_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
/** Bytes of an invalid payload kept in its dead letter. */
const DEAD_LETTER_PAYLOAD_BYTES = 4096;
export const NOTIFIER_SERVICE = 'notifier';

export interface NotifierSettings {
  readonly mqtt: Pick<MqttSettings, 'url' | 'username' | 'password'>;
  readonly clientId: string;
  readonly dbPath: string;
  readonly httpPort: number;
  readonly httpHost: string;
  readonly config: NotifierConfig;
}

export interface NotifierDeps {
  readonly clock?: Clock;
  readonly random?: () => number;
}

export function createNotifier(settings: NotifierSettings, logger: Logger, deps: NotifierDeps = {}) {
  const clock = deps.clock ?? systemClock;
  const registry = new MetricsRegistry({ processMetrics: true });
  const received = registry.counter('pdm_notifier_alerts_received_total', 'alerts received, by kind', [
    'kind',
  ]);
  for (const kind of [...ALERT_KINDS, 'duplicate', 'invalid']) received.inc({ kind }, 0);
  const invalid = registry.counter('pdm_notifier_invalid_total', 'invalid alerts, dead-lettered, by reason', [
    'reason',
  ]);
  for (const reason of INVALID_REASONS) invalid.inc({ reason }, 0);
  const sent = registry.counter(
    'pdm_notifier_notifications_sent_total',
    'notifications delivered, by receiver',
    ['receiver'],
  );
  const failed = registry.counter(
    'pdm_notifier_notifications_failed_total',
    'failed delivery attempts (each is retried), by receiver and kind: rate_limited, retryable, refused',
    ['receiver', 'kind'],
  );
  const muted = registry.counter('pdm_notifier_muted_total', 'alarms left out of a group flush, by why', [
    'why',
  ]);
  const presses = registry.counter(
    'pdm_notifier_button_presses_total',
    'Telegram button presses, by outcome',
    ['outcome'],
  );
  for (const r of settings.config.receivers) {
    sent.inc({ receiver: r.name }, 0);
    for (const kind of ['rate_limited', 'retryable', 'refused']) failed.inc({ receiver: r.name, kind }, 0);
  }

  const db = new NotifierDb(settings.dbPath);
  const pendingByReceiver = () => {
    const pending = db.pendingByReceiver();
    return settings.config.receivers.map((r) => ({
      receiver: r.name,
      ...(pending.get(r.name) ?? { count: 0 }),
    }));
  };
  registry.gauge('pdm_notifier_notifications_pending', 'notifications waiting in the outbox, by receiver', {
    labelNames: ['receiver'],
    collect: (g) => {
      for (const p of pendingByReceiver()) g.set({ receiver: p.receiver }, p.count);
    },
  });
  registry.gauge(
    'pdm_notifier_oldest_pending_age_seconds',
    'age of the oldest notification waiting in the outbox, by receiver (0 when none waits)',
    {
      labelNames: ['receiver'],
      collect: (g) => {
        for (const p of pendingByReceiver())
          g.set(
            { receiver: p.receiver },
            'oldestCreatedAt' in p ? Math.max(0, (clock.now() - p.oldestCreatedAt) / 1000) : 0,
          );
      },
    },
  );

  const receivers = createReceivers(settings.config.receivers, clock, logger.child({ component: 'console' }));
  const delivery = new Delivery({
    db,
    receivers,
    clock,
    logger: logger.child({ component: 'delivery' }),
    random: deps.random,
    events: {
      sent: (receiver) => sent.inc({ receiver }),
      failed: (receiver, kind) => failed.inc({ receiver, kind }),
    },
  });
  const dispatcher = new Dispatcher({
    db,
    config: settings.config,
    receivers,
    clock,
    logger: logger.child({ component: 'dispatcher' }),
    events: {
      muted: (why, count) => muted.inc({ why }, count),
      queued: (rows) => {
        for (const row of rows) delivery.poke(row.receiver, row.target);
      },
    },
  });
  const desk = new AckDesk({ db, clock, logger: logger.child({ component: 'acks' }) });
  // One reader of button presses per bot: Telegram allows one getUpdates caller at a time.
  const bots = new Map<string, TelegramReceiverConfig[]>();
  for (const r of settings.config.receivers)
    if (r.type === 'telegram') bots.set(r.botToken, [...(bots.get(r.botToken) ?? []), r]);
  const buttons = [...bots.values()].map(
    (configs) =>
      new TelegramUpdates({
        apiUrl: (configs[0] as TelegramReceiverConfig).apiUrl,
        token: (configs[0] as TelegramReceiverConfig).botToken,
        allowedChats: new Set(configs.flatMap((c) => [...c.chatIds, ...c.ackChatIds])),
        db,
        desk,
        clock,
        random: deps.random,
        logger: logger.child({ component: 'telegram-buttons' }),
        events: { pressed: (outcome) => presses.inc({ outcome }) },
      }),
  );

  const rateLimited = new RateLimitedLog(logger.child({ component: 'validation' }));
  const reject = (rawTopic: string, payload: Buffer, reason: string, detail: string) => {
    received.inc({ kind: 'invalid' });
    invalid.inc({ reason });
    const topic = clipTopic(rawTopic);
    rateLimited.warn(reason, { topic, detail, bytes: payload.length }, 'invalid alert dead-lettered');
    db.addDeadLetter({
      receivedAt: clock.now(),
      topic,
      reason,
      detail,
      payload: payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES),
      payloadBytes: payload.length,
    });
  };
  // Group commit: the alerts that arrive in one turn of the event loop go into one transaction, one fsync.
  let waiting: { alert: Alert; done: () => void; failed: (err: unknown) => void }[] = [];
  const commitWaiting = () => {
    const batch = waiting;
    waiting = [];
    try {
      const results = db.batch(() => batch.map((w) => dispatcher.ingest(w.alert)));
      results.forEach((result, i) => {
        const w = batch[i] as (typeof batch)[number];
        received.inc({ kind: result.duplicate ? 'duplicate' : w.alert.kind });
        w.done();
      });
    } catch (err) {
      // Not on disk, so not acknowledged: the broker delivers them again.
      logger.error({ err, alerts: batch.length }, 'could not store alerts');
      for (const w of batch) w.failed(err);
    }
  };
  /** Resolves once the alert (or its dead letter) is on disk: only then is it acknowledged to the broker. */
  const onMessage = async (topic: string, payload: Buffer): Promise<void> => {
    const verdict = validateMessage(topic, payload, { alerts: alertSchema });
    if (!verdict.ok) return reject(topic, payload, verdict.reason, verdict.detail);
    const alert = verdict.message;
    if (alert.kind === 'alarm' && !ALARM_STATES.includes(alert.state))
      return reject(
        topic,
        payload,
        'invalid_value',
        `an alarm is FAULTY or BROKEN, this one says ${alert.state}`,
      );
    return new Promise<void>((done, failed) => {
      waiting.push({ alert, done, failed });
      if (waiting.length === 1) setImmediate(commitWaiting);
    });
  };

  let mqtt: MqttConnection | undefined;
  let connecting: Promise<void> | undefined;
  const abort = new AbortController();
  let ops: OpsServer | undefined;
  let stopping: Promise<void> | undefined;
  let cancelPrune: (() => void) | undefined;

  const health = () => {
    const problems = Object.fromEntries(
      settings.config.receivers.map((r) => [r.name, delivery.problems.get(r.name) ?? 'ok']),
    );
    const buttonProblem = buttons.find((b) => b.problem)?.problem;
    const subscription = mqtt?.subscriptionProblem;
    const connected = mqtt?.client.connected ?? false;
    return {
      healthy: connected && !subscription && delivery.problems.size === 0 && !buttonProblem,
      checks: {
        mqtt: connected ? 'connected' : 'disconnected',
        subscription: subscription ?? 'ok',
        receivers: problems,
        ...(buttons.length > 0 ? { telegram_buttons: buttonProblem ?? 'ok' } : {}),
        pending: Object.fromEntries(pendingByReceiver().map((p) => [p.receiver, p.count])),
      },
    };
  };

  return {
    db,
    delivery,
    dispatcher,
    desk,
    metrics: registry,
    get httpPort() {
      return ops?.port;
    },
    health,
    async start() {
      ops = await startOpsServer({
        port: settings.httpPort,
        host: settings.httpHost,
        registry,
        logger,
        health,
        handle: silencesApi(db, clock),
      });
      logger.info(
        {
          db: settings.dbPath,
          receivers: settings.config.receivers.map((r) => `${r.name} (${r.type})`),
          routes: settings.config.routes.map((r) => r.id),
        },
        'notifier starting',
      );
      delivery.start();
      dispatcher.start();
      const prune = () => {
        try {
          const deleted = db.prune(clock.now() - RETAIN_MS);
          if (deleted > 0) logger.info({ deleted, retainDays: RETAIN_MS / 86_400_000 }, 'pruned old rows');
        } catch (err) {
          logger.warn({ err }, 'could not prune old rows; trying again later');
        }
        cancelPrune = clock.setTimeout(prune, PRUNE_EVERY_MS);
      };
      prune();
      for (const b of buttons) b.start();
      connecting = connectMqtt({
        ...settings.mqtt,
        clientId: settings.clientId,
        service: NOTIFIER_SERVICE,
        subscriptions: [topicFilter('alerts')],
        onMessage,
        logger,
        signal: abort.signal,
      }).then(
        (connection) => {
          mqtt = connection;
          desk.connect(async (topic, message) => {
            await connection.client.publishAsync(topic, message, { qos: 1 });
          });
          logger.info('notifier running');
        },
        (err: unknown) => {
          if (!abort.signal.aborted) logger.error({ err }, 'could not connect to the broker');
        },
      );
    },
    stop() {
      stopping ??= (async () => {
        await shutdownInOrder(logger, [
          ['stop taking alerts', () => mqtt?.stopIntake()],
          [
            'stop flushing groups',
            () => {
              cancelPrune?.();
              dispatcher.stop();
            },
          ],
          ['stop reading button presses', () => Promise.all(buttons.map((b) => b.stop()))],
          // What is in flight is aborted and stays pending: it goes out after the next start.
          ['stop delivery', () => delivery.stop()],
          ['publish acks', () => desk.flushed()],
          [
            'close MQTT',
            async () => {
              abort.abort();
              await connecting;
              await mqtt?.close();
            },
          ],
          ['close the database', () => db.close()],
          ['close HTTP server', () => ops?.close()],
        ]);
        logger.info('notifier stopped');
      })();
      return stopping;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
