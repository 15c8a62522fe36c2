/**
 * Where a simulator's messages go: the broker with QoS 1, or JSON Lines `{"topic": …, "payload": …}`
 * on a stream (`--stdout`). Both apply backpressure through the promise `send` may return. Also a
 * simulator's run around its sink, the part both simulators' main.ts would otherwise repeat.
 */
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { connectMqtt, type MqttSettings, Qos1Publisher } from './mqtt.ts';

export interface MessageSink {
  /** returns a promise only when the caller should wait before sending more */
  send(topic: string, payload: string): Promise<void> | undefined;
  /** resolves once everything sent is acknowledged by the broker or handed to the OS */
  flush(): Promise<void>;
  /** stops waiting: pending and later send/flush promises resolve now (shutdown with a hung broker) */
  abandon(): void;
  /** messages confirmed so far: PUBACKs from the broker, or lines written */
  readonly confirmed: number;
  readonly failed: number;
}

export function mqttSink(publisher: Qos1Publisher): MessageSink {
  return {
    send: (topic, payload) => publisher.publish(topic, payload),
    flush: () => publisher.drain(),
    abandon: () => publisher.abandon(),
    get confirmed() {
      return publisher.acked;
    },
    get failed() {
      return publisher.failed;
    },
  };
}

/** Buffers lines into large writes; a write per line would cost a syscall per message. */
export function jsonLinesSink(stream: Writable, bufferBytes = 1 << 16): MessageSink {
  let buffer: string[] = [];
  let buffered = 0;
  let written = 0;
  let pending = 0;
  let abandoned: () => void = () => {};
  const gone = new Promise<void>((resolve) => {
    abandoned = resolve;
  });
  // A reader that stopped reading (a stuck pipe) must not hold a shutdown forever.
  const drained = () => Promise.race([new Promise<void>((resolve) => stream.once('drain', resolve)), gone]);
  const writeOut = (): Promise<void> | undefined => {
    if (buffer.length === 0) return undefined;
    const ok = stream.write(buffer.join(''));
    written += pending;
    buffer = [];
    buffered = 0;
    pending = 0;
    return ok ? undefined : drained();
  };
  return {
    send(topic, payload) {
      // payload is already JSON; splicing it in avoids parsing and serialising it twice. Topics
      // need no escaping: their segments match ID_PATTERN.
      const line = `{"topic":"${topic}","payload":${payload}}\n`;
      buffer.push(line);
      buffered += line.length;
      pending += 1;
      return buffered >= bufferBytes ? writeOut() : undefined;
    },
    async flush() {
      await writeOut();
      if (stream.writableNeedDrain) await drained();
    },
    abandon: () => abandoned(),
    get confirmed() {
      return written;
    },
    failed: 0,
  };
}

export interface SimulatorSinkSettings extends Omit<MqttSettings, 'onMessage' | 'subscriptions'> {
  /** write JSON Lines here instead of publishing */
  readonly stdout: Writable | undefined;
  readonly maxInFlight: number;
}

/** After a stop, how long a simulator waits for the broker to acknowledge what it sent. */
export const FLUSH_GRACE_MS = 3_000;

/** The sink a simulator's flags ask for, and how to close it. */
export async function openSimulatorSink(
  settings: SimulatorSinkSettings,
): Promise<{ sink: MessageSink; close: () => Promise<void> }> {
  if (settings.stdout) return { sink: jsonLinesSink(settings.stdout), close: async () => {} };
  const mqtt = await connectMqtt(settings);
  const window = Math.min(settings.maxInFlight, mqtt.serverReceiveMaximum);
  const publisher = new Qos1Publisher(mqtt.client, window, (err, topic) =>
    settings.logger.error({ err, topic }, 'publish failed'),
  );
  return { sink: mqttSink(publisher), close: () => mqtt.close() };
}

/** The flags both simulators share (`--stdout`, `--max-in-flight` and the broker's). */
export interface SimulatorFlags {
  readonly stdout: boolean;
  readonly maxInFlight: number;
  readonly mqttUrl: string;
  readonly mqttUsername?: string | undefined;
  readonly mqttPassword?: string | undefined;
  readonly clientId: string;
}

export interface Simulation<Summary> {
  /** runs until done or stopped; resolves once everything sent is confirmed (or abandoned) */
  start(): Promise<Summary>;
  /** ends the run after the current message; start() then resolves with what was sent */
  stop(): void;
}

/**
 * A simulator's whole run: opens the sink its flags ask for, runs the simulation until it ends or
 * `signal` aborts, and closes the sink. Resolves with the summary, or undefined when stopped before the
 * broker was reached.
 */
export async function runSimulation<Summary>(
  flags: SimulatorFlags,
  context: {
    readonly service: string;
    readonly logger: Logger;
    readonly signal: AbortSignal;
    /** where `--stdout` writes */
    readonly stdout: Writable;
  },
  create: (sink: MessageSink) => Simulation<Summary>,
): Promise<Summary | undefined> {
  const { logger, signal } = context;
  let stop = () => {};
  signal.addEventListener(
    'abort',
    () => {
      logger.info({ signal: signal.reason }, 'stopping: flushing in-flight messages');
      stop();
    },
    { once: true },
  );
  let opened: Awaited<ReturnType<typeof openSimulatorSink>>;
  try {
    opened = await openSimulatorSink({
      stdout: flags.stdout ? context.stdout : undefined,
      maxInFlight: flags.maxInFlight,
      url: flags.mqttUrl,
      username: flags.mqttUsername,
      password: flags.mqttPassword,
      clientId: flags.clientId,
      service: context.service,
      logger,
      signal,
    });
  } catch (err) {
    if (!signal.aborted) throw err;
    logger.info('stopped before connecting');
    return undefined;
  }
  const simulation = create(opened.sink);
  stop = () => {
    simulation.stop();
    // A broker that is down or hung never acknowledges: stop waiting for it after a grace period.
    setTimeout(() => opened.sink.abandon(), FLUSH_GRACE_MS).unref();
  };
  if (signal.aborted) stop();
  const summary = await simulation.start();
  await opened.close();
  return summary;
}
