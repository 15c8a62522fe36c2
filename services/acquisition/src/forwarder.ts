/**
 * Drains the SQLite outbox into InfluxDB in batches, marking rows forwarded only after a 2xx. While
 * InfluxDB is down, slow or throttling, it backs off and the backlog waits on disk; a batch the server
 * refuses as bad data goes to the dead letters with the server's message.
 */
import { encodeSample, InfluxError, type StoredSample as InfluxSample, type InfluxWriter } from '@pdm/influx';
import type { DeadLetter, SampleStore, StoredSample } from '@pdm/store';
import type { Counter, Logger } from '@pdm/telemetry';

export interface ForwarderOptions {
  readonly batchLines: number;
  /** forwarded samples older than this are pruned from the SQLite file */
  readonly retainMs: number;
}

export interface ForwarderMetrics {
  readonly forwarded: Counter;
  readonly errors: Counter;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const IDLE_POLL_MS = 200;
const PRUNE_EVERY_MS = 60_000;

export class Forwarder {
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #lastProblem: string | undefined;
  readonly #store: SampleStore;
  readonly #writer: InfluxWriter;
  readonly #options: ForwarderOptions;
  readonly #metrics: ForwarderMetrics;
  readonly #logger: Logger;

  constructor(
    store: SampleStore,
    writer: InfluxWriter,
    options: ForwarderOptions,
    metrics: ForwarderMetrics,
    logger: Logger,
  ) {
    this.#store = store;
    this.#writer = writer;
    this.#options = options;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** why the last attempt failed, until one succeeds */
  get problem(): string | undefined {
    return this.#lastProblem;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops after the request in flight; its rows are resent next time if it did not finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    let batchLines = this.#options.batchLines;
    let lastPrune = 0;
    while (!this.#stopped) {
      if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        const pruned = this.#store.pruneForwarded(Date.now() - this.#options.retainMs);
        if (pruned > 0) this.#logger.info({ pruned }, 'pruned forwarded samples from the outbox');
      }
      const batch = this.#store.nextOutboxBatch(batchLines);
      if (!batch) {
        await this.#sleep(IDLE_POLL_MS);
        continue;
      }
      const { lines, unencodable } = encodeBatch(batch.samples);
      const outcome = await this.#writer.write(lines);
      if (outcome.kind === 'ok') {
        this.#store.markForwarded(batch.lastId, unencodable);
        this.#metrics.forwarded.inc(undefined, lines.length);
        if (this.#lastProblem) this.#logger.info('InfluxDB accepts writes again');
        this.#lastProblem = undefined;
        backoff = BACKOFF_MIN_MS;
        batchLines = this.#options.batchLines;
        continue;
      }
      if (outcome.kind === 'rejected' && (outcome.status === 400 || outcome.status === 422)) {
        // Bad data: retrying cannot help. Set the batch aside with the server's reason and move on.
        this.#metrics.errors.inc({ kind: 'rejected' });
        this.#logger.error(
          { status: outcome.status, message: outcome.message, rows: lines.length },
          'InfluxDB rejected a batch; dead-lettered',
        );
        this.#store.markForwarded(batch.lastId, {
          origin: 'influxdb',
          topic: null,
          reason: `influxdb_${outcome.status}`,
          detail: outcome.message,
          payload: Buffer.from(lines.join('\n')),
          payloadBytes: lines.reduce((n, l) => n + l.length + 1, 0),
        });
        continue;
      }
      if (outcome.kind === 'rejected' && outcome.status === 413 && batchLines > 1) {
        batchLines = Math.max(1, Math.floor(batchLines / 2));
        this.#logger.warn({ batchLines }, 'InfluxDB says the batch is too large; halving it');
        continue;
      }
      // Down, slow, throttling, or refusing our credentials: keep the backlog and try again later.
      const problem =
        outcome.kind === 'retry' ? outcome.reason : `HTTP ${outcome.status}: ${outcome.message}`;
      const wait =
        outcome.kind === 'retry' && outcome.retryAfterMs !== undefined ? outcome.retryAfterMs : backoff;
      this.#metrics.errors.inc({ kind: outcome.kind === 'retry' ? 'retry' : `http_${outcome.status}` });
      if (problem !== this.#lastProblem)
        this.#logger.warn(
          { problem, retryInMs: wait, backlog: this.#store.outboxBacklog() },
          'InfluxDB write failed; backlog kept on disk',
        );
      this.#lastProblem = problem;
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      await this.#sleep(wait);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** Line protocol for each sample; a row that cannot be encoded becomes one dead letter. */
function encodeBatch(samples: readonly StoredSample[]): {
  lines: string[];
  unencodable: DeadLetter | undefined;
} {
  const lines: string[] = [];
  const bad: string[] = [];
  for (const s of samples) {
    try {
      lines.push(encodeSample(withoutNulls(s)));
    } catch (err) {
      if (!(err instanceof InfluxError)) throw err;
      bad.push(`${JSON.stringify(s)} ${err.message}`);
    }
  }
  if (bad.length === 0) return { lines, unencodable: undefined };
  const payload = Buffer.from(bad.join('\n'));
  return {
    lines,
    unencodable: {
      origin: 'influxdb',
      topic: null,
      reason: 'unencodable',
      detail: `${bad.length} rows`,
      payload,
      payloadBytes: payload.length,
    },
  };
}

/** The store says null for "no ground truth"; line protocol leaves the field out. */
function withoutNulls(s: StoredSample): InfluxSample {
  const { state, health_pct, rul_h, failure_mode, ...telemetry } = s;
  return {
    ...telemetry,
    ...(state === null ? {} : { state }),
    ...(health_pct === null ? {} : { health_pct }),
    ...(rul_h === null ? {} : { rul_h }),
    ...(failure_mode === null ? {} : { failure_mode }),
  };
}
