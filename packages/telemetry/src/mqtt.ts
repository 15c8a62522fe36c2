/**
 * The one module that owns an MQTT connection: QoS 1, a fixed client id with a persistent session,
 * a retained online/offline status with a Last Will, reconnect with backoff, and a graceful end.
 */
import type { Duplex } from 'node:stream';
import { format } from 'node:util';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Status } from './schemas.ts';
import { topics } from './topics.ts';

export type { MqttClient } from 'mqtt';

/** How long the broker keeps our session, subscriptions and queued QoS 1 messages while we are away. */
export const DEFAULT_SESSION_EXPIRY_S = 7 * 24 * 3600;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const STATUS_PUBLISH_TIMEOUT_MS = 2_000;
/** CONNACK codes for "unsupported protocol version": 1 in MQTT 3.1.1, 0x84 in MQTT 5. */
const UNSUPPORTED_PROTOCOL = [1, 0x84];

export interface MqttSettings {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** fixed across restarts, so the broker resumes the session and what it queued for us */
  readonly clientId: string;
  /** names the retained status topic `pdm/v1/status/<service>` */
  readonly service: string;
  /**
   * Publish the retained online/offline status (with a Last Will); default true. A service with several
   * connections lets one of them speak for it.
   */
  readonly status?: boolean;
  readonly logger: Logger;
  readonly sessionExpirySec?: number;
  /** topic filters subscribed with QoS 1 whenever the broker has no session for us */
  readonly subscriptions?: readonly string[];
  /**
   * Inbound message handler. The PUBACK goes out only after the returned promise resolves, so a
   * message is acknowledged only once it is safe. mqtt.js calls it one message at a time.
   */
  readonly onMessage?: (topic: string, payload: Buffer, packet: IPublishPacket) => Promise<void> | void;
  /** abandons the first connection attempt, e.g. on SIGINT while the broker is still unreachable */
  readonly signal?: AbortSignal;
}

export interface MqttConnection {
  readonly client: MqttClient;
  /** the broker's Receive Maximum: how many QoS 1 publishes it accepts unacknowledged */
  readonly serverReceiveMaximum: number;
  /** publishes the offline status, waits for in-flight QoS 1 messages, then disconnects; idempotent */
  close(): Promise<void>;
}

/** Connects and resolves once the broker has accepted us; retries with backoff until then. */
export async function connectMqtt(settings: MqttSettings): Promise<MqttConnection> {
  const { logger, service, clientId } = settings;
  const log = logger.child({ component: 'mqtt' });
  const statusTopic = topics.status(service);
  const status = (state: Status['status']): string =>
    JSON.stringify({ service, status: state, ts: Date.now(), client_id: clientId } satisfies Status);

  const options: IClientOptions = {
    clientId,
    username: settings.username,
    password: settings.password,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: settings.sessionExpirySec ?? DEFAULT_SESSION_EXPIRY_S },
    ...(settings.status === false
      ? {}
      : { will: { topic: statusTopic, payload: Buffer.from(status('offline')), qos: 1, retain: true } }),
    reconnectPeriod: BACKOFF_MIN_MS,
    connectTimeout: 10_000,
    // We re-subscribe ourselves, only when the broker lost our session (see 'connect' below).
    resubscribe: false,
    // mqtt.js's packet-level log goes to ours at trace level. Left to the debug module it costs a few
    // percent of CPU at 20,000 messages a second, asking on every packet whether to print.
    log: log.isLevelEnabled('trace') ? (...args: unknown[]) => log.trace(format(...args)) : () => {},
  };
  const client = mqtt.connect(settings.url, options);
  const onMessage = settings.onMessage;
  if (onMessage) {
    client.handleMessage = (packet, done) => {
      let pending: Promise<void> | void;
      try {
        pending = onMessage(packet.topic, packet.payload as Buffer, packet);
      } catch (err) {
        done(err as Error);
        return;
      }
      // A handler that finished synchronously is acknowledged at once, without a promise per message.
      if (pending === undefined) done();
      else
        pending.then(
          () => done(),
          (err: unknown) => done(err as Error),
        );
    };
  }

  let failures = 0;
  let serverReceiveMaximum = 65_535;
  client.on('connect', (connack) => {
    failures = 0;
    if (onMessage) coalesceAcks(client);
    client.options.reconnectPeriod = BACKOFF_MIN_MS;
    serverReceiveMaximum = connack.properties?.receiveMaximum ?? 65_535;
    log.info(
      { url: settings.url, clientId, sessionPresent: connack.sessionPresent },
      'connected to MQTT broker',
    );
    if (settings.status !== false) client.publish(statusTopic, status('online'), { qos: 1, retain: true });
    const filters = settings.subscriptions ?? [];
    if (!connack.sessionPresent && filters.length > 0) {
      client.subscribe([...filters], { qos: 1 }, (err, granted) => {
        if (err) log.error({ err, filters }, 'subscribe failed');
        else log.info({ granted: granted?.map((g) => `${g.topic} qos${g.qos}`) }, 'subscribed');
      });
    }
  });
  client.on('close', () => {
    failures += 1;
    // Exponential backoff with jitter, so a fleet of clients does not reconnect in lockstep.
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(failures, 16));
    client.options.reconnectPeriod = Math.round(base * (0.8 + 0.4 * Math.random()));
  });
  client.on('offline', () => {
    log.warn(
      { url: settings.url, retryInMs: client.options.reconnectPeriod },
      'MQTT broker unreachable, retrying',
    );
  });
  // mqtt.js reconnects on its own; an error is only worth a log line.
  client.on('error', (err) => {
    const code = (err as { code?: unknown }).code;
    if (client.options.protocolVersion === 5 && UNSUPPORTED_PROTOCOL.includes(code as number)) {
      // An MQTT 3.1.1 broker (aedes, for one): the next attempt speaks 3.1.1. The session is still
      // persistent (clean: false); it just has no expiry interval.
      log.warn({ url: settings.url }, 'broker does not speak MQTT 5; using MQTT 3.1.1');
      client.options.protocolVersion = 4;
      delete client.options.properties;
      client.options.reconnectPeriod = 0;
      client.reconnect();
      return;
    }
    log.warn({ err: { message: err.message, code } }, 'MQTT error');
  });

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
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (client.connected && settings.status !== false) {
        await withTimeout(
          client.publishAsync(statusTopic, status('offline'), { qos: 1, retain: true }),
          STATUS_PUBLISH_TIMEOUT_MS,
        ).catch((err: unknown) =>
          log.warn({ err }, 'could not publish offline status; the Last Will covers it'),
        );
      }
      if (client.connected) {
        // end(false) waits until every in-flight QoS 1 message is acknowledged.
        await client.endAsync(false);
      } else {
        await client.endAsync(true);
      }
      log.info('disconnected from MQTT broker');
    })();
    return closing;
  };
  return {
    client,
    get serverReceiveMaximum() {
      return serverReceiveMaximum;
    },
    close,
  };
}

/**
 * mqtt.js writes each PUBACK with its own socket write, a system call per message. Corking the socket
 * while a received chunk's packets are handled (they run in one turn of the event loop when the handler
 * answers at once) sends their PUBACKs in one write; the uncork runs once that turn is over.
 */
function coalesceAcks(client: MqttClient): void {
  const stream = client.stream as unknown as Duplex;
  stream.on('data', () => {
    if (stream.writableCorked) return;
    stream.cork();
    setImmediate(() => stream.uncork());
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Publishes with QoS 1 and a bounded window of unacknowledged messages. `publish` returns a promise
 * only when the window is full, so a tight loop can `await` it cheaply and memory stays bounded.
 */
export class Qos1Publisher {
  #inFlight = 0;
  #acked = 0;
  #failed = 0;
  #waiters: Array<() => void> = [];
  readonly #client: MqttClient;
  readonly #window: number;
  readonly #onError: (err: Error, topic: string) => void;

  constructor(client: MqttClient, window: number, onError: (err: Error, topic: string) => void) {
    this.#client = client;
    this.#window = Math.max(1, window);
    this.#onError = onError;
  }

  get acked(): number {
    return this.#acked;
  }
  get failed(): number {
    return this.#failed;
  }
  get inFlight(): number {
    return this.#inFlight;
  }

  publish(topic: string, payload: string | Buffer, retain = false): Promise<void> | undefined {
    this.#inFlight += 1;
    this.#client.publish(topic, payload, { qos: 1, retain }, (err) => {
      this.#inFlight -= 1;
      if (err) {
        this.#failed += 1;
        this.#onError(err, topic);
      } else this.#acked += 1;
      this.#wake();
    });
    return this.#inFlight >= this.#window ? this.#waitBelow(this.#window) : undefined;
  }

  /** Resolves once every message published so far is acknowledged (or failed). */
  drain(): Promise<void> {
    return this.#inFlight === 0 ? Promise.resolve() : this.#waitBelow(1);
  }

  #waitBelow(limit: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.#inFlight < limit) resolve();
        else this.#waiters.push(check);
      };
      check();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
