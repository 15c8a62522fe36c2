/**
 * The one module that owns an MQTT connection: QoS 1, a fixed client id with a persistent session,
 * a retained online/offline status with a Last Will, reconnect with backoff, and a graceful end.
 * Viewers connect the same way on an ephemeral session that leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { format } from 'node:util';
import { type Status, topics } from '@pdm/contract';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { AckWindow } from './ack-window.ts';
import { withTimeout } from './timeout.ts';

export type { MqttClient } from 'mqtt';

/** How long the broker keeps our session, subscriptions and queued QoS 1 messages while we are away. */
export const DEFAULT_SESSION_EXPIRY_S = 7 * 24 * 3600;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const STATUS_PUBLISH_TIMEOUT_MS = 1_000;
/** How long a graceful disconnect may wait for in-flight publishes before the socket is dropped. */
const END_TIMEOUT_MS = 2_000;
/**
 * Messages handed to the handler and not yet acknowledged, at most. Mosquitto's own bound is
 * max_inflight_messages (1000 in mosquitto/conf.d/limits.conf); this one also holds for brokers
 * without one (aedes, MQTT 3.1.1).
 */
export const DEFAULT_MAX_UNACKED = 1000;
/** CONNACK codes for "unsupported protocol version": 1 in MQTT 3.1.1, 0x84 in MQTT 5. */
const UNSUPPORTED_PROTOCOL = [1, 0x84];

export interface MqttSettings {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /**
   * fixed across restarts, so the broker resumes the session and what it queued for us; with an
   * ephemeral session, the prefix of a random id
   */
  readonly clientId: string;
  /** names the retained status topic `pdm/v1/status/<service>` */
  readonly service: string;
  /**
   * 'persistent' (default): a service's session, kept by the broker for sessionExpirySec while we are
   * away, with whatever it queued for us. 'ephemeral': a viewer's, that leaves nothing behind: the client
   * id is `<clientId>-<8 hex digits>`, the session ends with the connection (MQTT 5: clean start and
   * session expiry 0; MQTT 3.1.1: clean session), and there is no status topic and no Last Will.
   */
  readonly session?: 'persistent' | 'ephemeral';
  /**
   * Publish the retained online/offline status (with a Last Will); default true, and false with an
   * ephemeral session. A service with several connections lets one of them speak for it.
   */
  readonly status?: boolean;
  readonly logger: Logger;
  readonly sessionExpirySec?: number;
  /**
   * Topic filters subscribed with QoS 1 on every connect. Not only when the broker lost the session:
   * Mosquitto 2.0 restores a session across its own restart but not the session's shared
   * subscriptions, and says "session present" all the same.
   */
  readonly subscriptions?: readonly string[];
  /**
   * Inbound message handler. The PUBACK goes out only after the returned promise resolves (at once
   * for undefined), so a message is acknowledged only once it is safe; a rejected promise leaves the
   * message for redelivery. Messages are handed over as they arrive, without waiting for earlier
   * ones, and PUBACKs leave in arrival order.
   */
  readonly onMessage?: (topic: string, payload: Buffer, packet: IPublishPacket) => Promise<void> | void;
  /** handed over and not yet acknowledged, at most; reading pauses beyond it (backpressure) */
  readonly maxUnacked?: number;
  /** abandons the first connection attempt, e.g. on SIGINT while the broker is still unreachable */
  readonly signal?: AbortSignal;
}

export interface MqttConnection {
  readonly client: MqttClient;
  /** the id we connected with (random with an ephemeral session) */
  readonly clientId: string;
  /** the broker's Receive Maximum: how many QoS 1 publishes it accepts unacknowledged */
  readonly serverReceiveMaximum: number;
  /** why a subscription is missing (refused or failed), or undefined when all were granted */
  readonly subscriptionProblem: string | undefined;
  /** messages handed to onMessage whose PUBACK has not gone out yet */
  readonly unacked: number;
  /**
   * Stops handing messages to onMessage: from now on they are read and dropped unacknowledged (the
   * broker redelivers them next time), so the connection keeps reading its own PUBACKs while the
   * service shuts down.
   */
  stopIntake(): void;
  /**
   * Stops intake, publishes the offline status, waits a bounded time for in-flight QoS 1 messages,
   * then disconnects; idempotent, and done within about 5 s even with the broker down or hung.
   */
  close(): Promise<void>;
}

/** Connects and resolves once the broker has accepted us; retries with backoff until then. */
export async function connectMqtt(settings: MqttSettings): Promise<MqttConnection> {
  const { logger, service } = settings;
  const ephemeral = settings.session === 'ephemeral';
  const clientId = ephemeral ? `${settings.clientId}-${randomBytes(4).toString('hex')}` : settings.clientId;
  const publishStatus = !ephemeral && settings.status !== false;
  const log = logger.child({ component: 'mqtt' });
  const statusTopic = topics.status(service);
  const status = (state: Status['status']): string =>
    JSON.stringify({ service, status: state, ts: Date.now(), client_id: clientId } satisfies Status);

  const options: IClientOptions = {
    clientId,
    username: settings.username,
    password: settings.password,
    protocolVersion: 5,
    clean: ephemeral,
    properties: {
      sessionExpiryInterval: ephemeral ? 0 : (settings.sessionExpirySec ?? DEFAULT_SESSION_EXPIRY_S),
    },
    ...(publishStatus
      ? { will: { topic: statusTopic, payload: Buffer.from(status('offline')), qos: 1, retain: true } }
      : {}),
    reconnectPeriod: BACKOFF_MIN_MS,
    connectTimeout: 10_000,
    // We subscribe ourselves on every connect (see 'connect' below).
    resubscribe: false,
    // mqtt.js's packet-level log goes to ours at trace level. Left to the debug module it costs a few
    // percent of CPU at 20,000 messages a second, asking on every packet whether to print.
    log: log.isLevelEnabled('trace') ? (...args: unknown[]) => log.trace(format(...args)) : () => {},
  };
  const client = mqtt.connect(settings.url, options);
  const onMessage = settings.onMessage;
  const acks = new AckWindow(
    settings.maxUnacked ?? DEFAULT_MAX_UNACKED,
    client,
    (messageId, stream) => (stream as Duplex).write(pubackPacket(messageId)),
    (stream, writes) => {
      const socket = stream as Duplex;
      socket.cork();
      writes();
      socket.uncork();
    },
  );
  let intake = true;
  if (onMessage) {
    // mqtt.js sends a PUBACK, and reads the next packet, only once this callback is called; called
    // with an error it sends none. We call it at once with IN_OUR_HANDS and acknowledge ourselves
    // (the AckWindow), so that many messages can wait for one disk commit or model run at a time.
    client.handleMessage = (packet, done) => {
      const read = () => done(IN_OUR_HANDS);
      if (!intake) return read();
      if (packet.qos === 0 || packet.messageId === undefined) {
        runHandler(onMessage, packet)?.catch((err: unknown) =>
          log.error({ err, topic: packet.topic }, 'QoS 0 message handler failed'),
        );
        return read();
      }
      acks.track(packet.messageId, runHandler(onMessage, packet));
      acks.next(read);
    };
  }

  let failures = 0;
  let serverReceiveMaximum = 65_535;
  let subscriptionProblem: string | undefined;
  client.on('connect', (connack) => {
    failures = 0;
    if (onMessage) coalesceAcks(client);
    client.options.reconnectPeriod = BACKOFF_MIN_MS;
    serverReceiveMaximum = connack.properties?.receiveMaximum ?? 65_535;
    log.info(
      { url: settings.url, clientId, sessionPresent: connack.sessionPresent },
      'connected to MQTT broker',
    );
    if (publishStatus) client.publish(statusTopic, status('online'), { qos: 1, retain: true });
    const filters = settings.subscriptions ?? [];
    if (filters.length > 0) {
      subscriptionProblem = 'subscribing';
      client.subscribe([...filters], { qos: 1 }, (err, granted) => {
        subscriptionProblem = err
          ? `subscribe failed: ${err.message}`
          : refusedSubscriptions(filters, granted ?? []);
        if (subscriptionProblem) log.error({ filters, problem: subscriptionProblem }, 'not subscribed');
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
      // An MQTT 3.1.1 broker (aedes, for one): the next attempt speaks 3.1.1. A persistent session
      // stays persistent (clean: false), just without an expiry interval; an ephemeral one still
      // ends with the connection (clean: true).
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

  const stopIntake = () => {
    intake = false;
    acks.unblock();
  };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopIntake();
      if (client.connected && publishStatus) {
        await withTimeout(
          client.publishAsync(statusTopic, status('offline'), { qos: 1, retain: true }),
          STATUS_PUBLISH_TIMEOUT_MS,
        ).catch((err: unknown) =>
          log.warn({ err }, 'could not publish offline status; the Last Will covers it'),
        );
      }
      await endWithin(client, END_TIMEOUT_MS, log);
      log.info('disconnected from MQTT broker');
    })();
    return closing;
  };
  return {
    client,
    clientId,
    get serverReceiveMaximum() {
      return serverReceiveMaximum;
    },
    get subscriptionProblem() {
      return subscriptionProblem;
    },
    get unacked() {
      return acks.pending;
    },
    stopIntake,
    close,
  };
}

/**
 * Ends a client gracefully if the broker answers within `ms`, else drops the socket. end(false) waits
 * until every in-flight QoS 1 publish is acknowledged, and a broker that is down or hung never answers;
 * whatever it did not acknowledge mqtt.js then reports failed to its sender.
 */
async function endWithin(client: MqttClient, ms: number, log: Pick<Logger, 'warn'>): Promise<void> {
  await withTimeout(client.endAsync(!client.connected), ms).catch((err: unknown) => {
    log.warn({ err }, 'broker did not answer the disconnect; dropping the connection');
    // mqtt.js ignores a second end() while the first is under way: close the socket ourselves.
    client.stream.destroy();
  });
}

/** Passed to mqtt.js's handleMessage callback: "no PUBACK from you, we send it". */
const IN_OUR_HANDS = Object.freeze(new Error('acknowledged by the AckWindow'));

function runHandler(
  onMessage: NonNullable<MqttSettings['onMessage']>,
  packet: IPublishPacket,
): Promise<void> | undefined {
  try {
    return onMessage(packet.topic, packet.payload as Buffer, packet) ?? undefined;
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * PUBACK with reason "success": fixed header 0x40, remaining length 2, the packet id. MQTT 5 lets the
 * reason code and properties be left out when the reason is success (§3.4.2.1), so it is the same
 * four bytes in 3.1.1 and 5.
 */
function pubackPacket(messageId: number): Buffer {
  return Buffer.from([0x40, 2, messageId >> 8, messageId & 0xff]);
}

/**
 * A subscription is missing when the SUBACK refuses it (codes 0x80 and above: not authorised, shared
 * subscriptions unsupported, …) and useless to us when it grants QoS 0 (a broker's max_qos): then
 * nothing is held for us while we are away.
 */
function refusedSubscriptions(
  filters: readonly string[],
  granted: readonly { topic: string; qos: number }[],
): string | undefined {
  if (granted.length < filters.length)
    return `the broker granted ${granted.length} of ${filters.length} subscriptions`;
  const problems = granted.flatMap((g) =>
    g.qos >= 0x80
      ? [`${g.topic} refused (code 0x${g.qos.toString(16)})`]
      : g.qos < 1
        ? [`${g.topic} granted only QoS ${g.qos}`]
        : [],
  );
  return problems.length === 0 ? undefined : `subscription problem: ${problems.join(', ')}`;
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

/**
 * Publishes with QoS 1 and a bounded window of unacknowledged messages. `publish` returns a promise
 * only when the window is full, so a tight loop can `await` it cheaply and memory stays bounded.
 */
export class Qos1Publisher {
  #inFlight = 0;
  #acked = 0;
  #failed = 0;
  #abandoned = false;
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

  /**
   * Publishes with QoS 1; `onSettled` runs once the broker acknowledged it (or it failed). Returns a
   * promise only when the window is full.
   */
  publish(
    topic: string,
    payload: string | Buffer,
    retain = false,
    onSettled?: (err?: Error) => void,
  ): Promise<void> | undefined {
    this.#inFlight += 1;
    this.#client.publish(topic, payload, { qos: 1, retain }, (err) => {
      this.#inFlight -= 1;
      if (err) {
        this.#failed += 1;
        this.#onError(err, topic);
      } else this.#acked += 1;
      onSettled?.(err);
      this.#wake();
    });
    return this.#inFlight >= this.#window ? this.#waitBelow(this.#window) : undefined;
  }

  /** Resolves once every message published so far is acknowledged (or failed). */
  drain(): Promise<void> {
    return this.#inFlight === 0 ? Promise.resolve() : this.#waitBelow(1);
  }

  /**
   * Stops waiting for the broker: pending and later waits resolve at once. For a shutdown with a
   * broker that is down or hung; what it never acknowledged is counted failed when the connection ends.
   */
  abandon(): void {
    this.#abandoned = true;
    this.#wake();
  }

  #waitBelow(limit: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.#inFlight < limit || this.#abandoned) resolve();
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
