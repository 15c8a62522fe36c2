/**
 * The viewer's MQTT connection: predictions and alerts with QoS 1 on a clean session under a random
 * client id. @pdm/telemetry's connectMqtt is built for services (fixed id, persistent session, retained
 * status); a viewer must leave nothing behind on the broker, so it connects on its own terms here.
 */
import { randomBytes } from 'node:crypto';
import { topicFilter } from '@pdm/contract';
import { END_TIMEOUT_MS, endWithin } from '@pdm/service-kit';
import mqtt from 'mqtt';
import type { Log } from './follow.ts';

export const VIEWER_FILTERS: readonly string[] = [topicFilter('predictions'), topicFilter('alerts')];

const RECONNECT_MS = 1000;

export interface SubscriptionSettings {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly log: Log;
  /** called one message at a time; the PUBACK waits for a returned promise, so a slow reader slows the broker */
  readonly onMessage: (topic: string, payload: Buffer) => Promise<void> | undefined;
  /** abandons the first connection attempt, e.g. on Ctrl-C while the broker is unreachable */
  readonly signal?: AbortSignal;
}

export interface Subscription {
  readonly clientId: string;
  close(): Promise<void>;
}

/** Resolves once connected; until then it retries, logging that the broker is unreachable. */
export async function subscribe(settings: SubscriptionSettings): Promise<Subscription> {
  const { log, url } = settings;
  const clientId = `tail-predictions-${randomBytes(4).toString('hex')}`;
  const client = mqtt.connect(url, {
    clientId,
    username: settings.username,
    password: settings.password,
    protocolVersion: 5,
    clean: true,
    // The session ends with the connection: nothing queued for a viewer that has gone.
    properties: { sessionExpiryInterval: 0 },
    reconnectPeriod: RECONNECT_MS,
    connectTimeout: 10_000,
    // A clean session has no subscriptions after a reconnect; 'connect' below makes them each time.
    resubscribe: false,
  });
  client.handleMessage = (packet, done) => {
    const hold = settings.onMessage(packet.topic, packet.payload as Buffer);
    if (hold)
      hold.then(
        () => done(),
        (err: unknown) => done(err as Error),
      );
    else done();
  };
  client.on('connect', () => {
    log.info({ url, clientId }, 'connected to MQTT broker');
    client.subscribe([...VIEWER_FILTERS], { qos: 1 }, (err, granted) => {
      const refused = granted?.filter((g) => g.qos > 2) ?? [];
      if (err || refused.length > 0)
        log.error({ err, refused: refused.map((g) => g.topic) }, 'the broker refused the subscription');
      else log.info({ filters: VIEWER_FILTERS }, 'subscribed; waiting for predictions');
    });
  });
  client.on('offline', () => log.warn({ url }, 'MQTT broker unreachable, retrying'));
  // mqtt.js reconnects on its own; an error is only worth a log line.
  client.on('error', (err) =>
    log.warn({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'MQTT error'),
  );

  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      client.end(true);
      reject(new Error('connection attempt aborted'));
    };
    if (settings.signal?.aborted) return onAbort();
    settings.signal?.addEventListener('abort', onAbort, { once: true });
    client.once('connect', () => {
      settings.signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    clientId,
    close() {
      closing ??= endWithin(client, END_TIMEOUT_MS, log);
      return closing;
    },
  };
}
