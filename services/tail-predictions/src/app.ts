/** Wires a source (the prediction log or the MQTT topics) through the view to the output; start/stop. */
import type { Writable } from 'node:stream';
import { topicFilter } from '@pdm/contract';
import { connectMqtt, type Logger, type MqttConnection, shutdownInOrder } from '@pdm/service-kit';
import { createFilter, type FilterSettings } from './filter.ts';
import { LogFollower } from './follow.ts';
import { View } from './view.ts';

export const VIEWER_FILTERS: readonly string[] = [topicFilter('predictions'), topicFilter('alerts')];

export interface TailSettings {
  readonly source: 'log' | 'mqtt';
  readonly log: {
    readonly dir: string;
    readonly date?: string | undefined;
    readonly lines: number;
    readonly follow: boolean;
    readonly pollMs: number;
    readonly now?: () => number;
  };
  readonly mqtt: {
    readonly url: string;
    readonly username?: string | undefined;
    readonly password?: string | undefined;
    /** the viewer's client id is this and 8 random hex digits, on a session that ends with it */
    readonly clientIdPrefix: string;
  };
  readonly filter: FilterSettings;
  readonly json: boolean;
  readonly color: boolean;
}

/** following: runs until stop(); done: --no-follow printed the file; missing: --no-follow found no file */
export type Started = 'following' | 'done' | 'missing';

/**
 * How a run ended. stopped: by the signal, or because the reader went away (`| head`, a closed pager),
 * which is the end of the view, not a failure; done and missing: as Started; failed: logged.
 */
export type Ended = 'stopped' | 'done' | 'missing' | 'failed';

export interface TailPredictions {
  start(): Promise<Started>;
  /** stops reading and disconnects; idempotent */
  stop(): Promise<void>;
  /** start(), then stop() once done, on `signal`, or when the output breaks */
  run(signal: AbortSignal): Promise<Ended>;
}

export function createTailPredictions(
  settings: TailSettings,
  io: { readonly output: Writable; readonly log: Logger },
): TailPredictions {
  const { output, log } = io;
  const view = new View(
    { filter: createFilter(settings.filter), json: settings.json, color: settings.color },
    ({ reason, detail, where, sample }) =>
      log.warn({ ...where, reason, detail, sample }, 'skipped an invalid row'),
  );

  let stopped = false;
  let wakeOnStop: () => void = () => {};
  const stopping = new Promise<void>((resolve) => {
    wakeOnStop = resolve;
  });
  /** Writes; when the reader is slower than the source, the returned promise holds the source back. */
  const emit = (text: string): Promise<void> | undefined => {
    if (text === '' || stopped || output.write(text)) return undefined;
    // Not events.once: an EPIPE 'error' is main's to handle, not a reason to reject here.
    return Promise.race([new Promise<void>((resolve) => output.once('drain', resolve)), stopping]);
  };

  const follower =
    settings.source === 'log'
      ? new LogFollower(
          {
            dir: settings.log.dir,
            date: settings.log.date,
            backlog: settings.log.lines,
            counts: (text) => view.matches(text),
            pollMs: settings.log.pollMs,
            ...(settings.log.now ? { now: settings.log.now } : {}),
          },
          {
            lines: (file, lines) => emit(lines.map((l) => view.logLine(l.text, file, l.offset)).join('')),
            log,
          },
        )
      : undefined;
  let mqtt: MqttConnection | undefined;
  const abort = new AbortController();
  let stopOnce: Promise<void> | undefined;

  const start = async (): Promise<Started> => {
    if (follower) {
      if (settings.log.follow) {
        follower.start();
        return 'following';
      }
      return (await follower.poll()) ? 'done' : 'missing';
    }
    // A viewer leaves nothing behind on the broker: no session, nothing queued, no status.
    mqtt = await connectMqtt({
      url: settings.mqtt.url,
      username: settings.mqtt.username,
      password: settings.mqtt.password,
      clientId: settings.mqtt.clientIdPrefix,
      service: settings.mqtt.clientIdPrefix,
      session: 'ephemeral',
      logger: log,
      subscriptions: VIEWER_FILTERS,
      onMessage: (topic, payload) => emit(view.message(topic, payload)),
      signal: abort.signal,
    });
    return 'following';
  };
  const stop = (): Promise<void> => {
    stopOnce ??= (async () => {
      stopped = true;
      wakeOnStop();
      abort.abort();
      await shutdownInOrder(log, [
        ['stop reading the log', () => follower?.stop()],
        ['close the MQTT connection', () => mqtt?.close()],
      ]);
    })();
    return stopOnce;
  };

  return {
    start,
    stop,
    async run(signal) {
      let ended: Ended | undefined;
      const interrupted = new Promise<Ended>((resolve) => {
        const end = (how: Ended) => {
          ended ??= how;
          resolve(ended);
        };
        if (signal.aborted) end('stopped');
        else signal.addEventListener('abort', () => end('stopped'), { once: true });
        output.on('error', (err: NodeJS.ErrnoException) => {
          if (ended !== undefined) return;
          if (err.code === 'EPIPE') end('stopped');
          else {
            log.error({ err }, 'cannot write to stdout');
            end('failed');
          }
        });
      });
      const started = start().then(
        (how): Ended | Promise<Ended> => (how === 'following' ? interrupted : how),
        (err: unknown): Ended => {
          // Stopping while the broker is still unreachable abandons the connection attempt.
          if (ended !== undefined) return ended;
          log.fatal({ err }, 'tail-predictions failed');
          return 'failed';
        },
      );
      const how = await Promise.race([started, interrupted]);
      await stop();
      return how;
    },
  };
}
