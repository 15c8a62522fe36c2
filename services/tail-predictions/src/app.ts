/** Wires a source (the prediction log or the MQTT topics) through the view to the output; start/stop. */
import type { Writable } from 'node:stream';
import { shutdownInOrder } from '@pdm/service-kit';
import { createFilter, type FilterSettings } from './filter.ts';
import { type Log, LogFollower } from './follow.ts';
import { type Subscription, subscribe } from './subscription.ts';
import { View } from './view.ts';

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
  };
  readonly filter: FilterSettings;
  readonly json: boolean;
  readonly color: boolean;
}

/** following: runs until stop(); done: --no-follow printed the file; missing: --no-follow found no file */
export type Started = 'following' | 'done' | 'missing';

export interface TailPredictions {
  start(): Promise<Started>;
  /** stops reading and disconnects; idempotent */
  stop(): Promise<void>;
}

export function createTailPredictions(
  settings: TailSettings,
  io: { readonly output: Writable; readonly log: Log },
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
  let subscription: Subscription | undefined;
  const abort = new AbortController();
  let stopOnce: Promise<void> | undefined;

  return {
    async start() {
      if (follower) {
        if (settings.log.follow) {
          follower.start();
          return 'following';
        }
        return (await follower.poll()) ? 'done' : 'missing';
      }
      subscription = await subscribe({
        ...settings.mqtt,
        log,
        signal: abort.signal,
        onMessage: (topic, payload) => emit(view.message(topic, payload)),
      });
      return 'following';
    },
    stop() {
      stopOnce ??= (async () => {
        stopped = true;
        wakeOnStop();
        abort.abort();
        await shutdownInOrder(log, [
          ['stop reading the log', () => follower?.stop()],
          ['close the MQTT connection', () => subscription?.close()],
        ]);
      })();
      return stopOnce;
    },
  };
}
