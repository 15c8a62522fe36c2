/**
 * The notifier in this process on a ManualClock, for tests: a real Mosquitto (the caller's), a real
 * SQLite file, the fake Bot API and a signature-checking webhook receiver, all on the same clock, so that
 * minutes and hours of group intervals, retries and rate limits pass in a test that takes seconds.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Alert, topics } from '@pdm/contract';
import { createLogger } from '@pdm/service-kit';
import {
  type FakeTelegram,
  ManualClock,
  type Mosquitto,
  startFakeTelegram,
  startWebhookReceiver,
  type WebhookReceiver,
} from '@pdm/testkit';
import mqtt, { type MqttClient } from 'mqtt';
import { createNotifier, type Notifier } from '../app.ts';
import { DEFAULT_INHIBIT_RULES, type NotifierConfig, type RouteConfig } from '../config.ts';
import { routeConfig, T0 } from './alerts.ts';

export const BOT_TOKEN = '123456:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
export const CHAT = '-1001';
export const OTHER_CHAT = '-1002';

export interface HarnessOptions {
  /** Telegram chats notified (and allowed to acknowledge) */
  readonly chats?: readonly string[];
  readonly webhook?: boolean;
  readonly route?: Partial<RouteConfig>;
}

export interface Harness {
  readonly clock: ManualClock;
  readonly telegram: FakeTelegram;
  readonly webhook: WebhookReceiver;
  readonly notifier: Notifier;
  readonly publisher: MqttClient;
  /** publishes alerts with QoS 1 and resolves once the notifier has taken each in */
  publish(alerts: readonly Alert[]): Promise<void>;
  /** moves the clock `ms` in steps of `stepMs`, letting delivery finish what each step started */
  run(ms: number, stepMs?: number): Promise<void>;
  close(): Promise<void>;
}

let instances = 0;

export async function startHarness(broker: Mosquitto, options: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock(T0);
  const telegram = await startFakeTelegram({ token: BOT_TOKEN, now: () => clock.now() });
  const webhook = await startWebhookReceiver({ secret: WEBHOOK_SECRET, now: () => clock.now() });
  const chats = options.chats ?? [CHAT];
  const config: NotifierConfig = {
    receivers: [
      {
        type: 'telegram',
        name: 'telegram',
        botToken: BOT_TOKEN,
        chatIds: chats,
        ackChatIds: [],
        apiUrl: telegram.url,
      },
      ...(options.webhook
        ? [
            {
              type: 'webhook' as const,
              name: 'webhook',
              url: webhook.url,
              secret: WEBHOOK_SECRET,
              format: 'pdm' as const,
            },
          ]
        : []),
    ],
    routes: [routeConfig('route-0', options.webhook ? ['telegram', 'webhook'] : ['telegram'], options.route)],
    inhibitRules: DEFAULT_INHIBIT_RULES,
  };
  instances += 1;
  const notifier = createNotifier(
    {
      mqtt: { url: broker.url },
      clientId: `notifier-test-${process.pid}-${instances}`,
      dbPath: join(mkdtempSync(join(tmpdir(), 'pdm-notifier-')), 'notifier.sqlite'),
      httpPort: 0,
      httpHost: '127.0.0.1',
      config,
    },
    createLogger({ name: 'notifier', level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    { clock, random: () => 0.5 },
  );
  await notifier.start();
  await until(
    () => notifier.health().checks.subscription === 'ok' && notifier.health().checks.mqtt === 'connected',
  );
  const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clean: true });
  let published = 0;
  return {
    clock,
    telegram,
    webhook,
    notifier,
    publisher,
    async publish(alerts) {
      await Promise.all(
        alerts.map((a) => publisher.publishAsync(topics.alerts(a.pump_id), JSON.stringify(a), { qos: 1 })),
      );
      published += alerts.length;
      await until(async () => (await received(notifier)) >= published);
    },
    async run(ms, stepMs = 1000) {
      for (let t = 0; t < ms; t += stepMs) {
        await clock.advance(Math.min(stepMs, ms - t));
        await notifier.delivery.idle();
      }
    },
    async close() {
      await publisher.endAsync();
      await notifier.stop();
      await telegram.close();
      await webhook.close();
    },
  };
}

/** alerts the notifier has taken in (or dead-lettered) */
export async function received(notifier: Notifier): Promise<number> {
  const metric = await notifier.metrics.getSingleMetric('pdm_notifier_alerts_received_total')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

/** a counter's value for one label set */
export async function counter(
  notifier: Notifier,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = await notifier.metrics.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) =>
    Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return found?.value ?? 0;
}

/** Polls until `condition` holds (real time), for what happens over the network. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
