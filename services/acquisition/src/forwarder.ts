/**
 * Drains the SQLite outbox into InfluxDB in batches, marking rows forwarded only after a 2xx. While
 * InfluxDB is down, slow or throttling, it backs off and the backlog waits on disk; a batch the server
 * refuses as bad data goes to the dead letters with the server's message.
 */
import { encodeSample, InfluxError, type InfluxWriter, type WriteOutcome } from '@pdm/influx';
import type { Counter, Logger } from '@pdm/service-kit';
import type { DeadLetter, OutboxBatch, SampleStore } from '@pdm/store';

export interface ForwarderOptions {
  readonly batchLines: number;
  /** batches in flight at once */
  readonly concurrency: number;
  /** forwarded samples older than this are pruned from the SQLite file */
  readonly retainMs: number;
}

export interface ForwarderMetrics {
  readonly forwarded: Counter;
  readonly errors: Counter<'kind'>;
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
    // Several batches in flight, answered in order: reading and encoding the next batches overlaps
    // with InfluxDB parsing the earlier ones. The cursor only ever moves past a batch whose every
    // predecessor was accepted, so a failure resends from there (a rewrite is harmless).
    const inFlight: { readonly batch: EncodedBatch; readonly outcome: Promise<WriteOutcome> }[] = [];
    const abandonInFlight = async () => {
      await Promise.allSettled(inFlight.map((f) => f.outcome));
      inFlight.length = 0;
    };
    while (!this.#stopped) {
      if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        const pruned = this.#store.pruneForwarded(Date.now() - this.#options.retainMs);
        if (pruned > 0) this.#logger.info({ pruned }, 'pruned forwarded samples from the outbox');
      }
      while (inFlight.length < this.#options.concurrency) {
        const after = inFlight.at(-1)?.batch.lastId;
        const next =
          after === undefined
            ? this.#store.nextOutboxBatch('samples', batchLines)
            : this.#store.nextOutboxBatch('samples', batchLines, after);
        if (!next) break;
        const batch = encodeBatch(next);
        inFlight.push({ batch, outcome: this.#writer.write(batch.lines) });
      }
      const head = inFlight.shift();
      if (!head) {
        await this.#sleep(IDLE_POLL_MS);
        continue;
      }
      const { batch } = head;
      const outcome = await head.outcome;
      if (outcome.kind === 'ok') {
        this.#store.markForwarded('samples', batch.lastId, batch.unencodable);
        this.#metrics.forwarded.inc(batch.lines.length);
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
          { status: outcome.status, message: outcome.message, rows: batch.lines.length },
          'InfluxDB rejected a batch; dead-lettered',
        );
        this.#store.markForwarded('samples', batch.lastId, {
          origin: 'influxdb',
          topic: null,
          reason: `influxdb_${outcome.status}`,
          detail: outcome.message,
          payload: Buffer.from(batch.lines.join('\n')),
          payloadBytes: batch.lines.reduce((n, l) => n + l.length + 1, 0),
        });
        continue;
      }
      await abandonInFlight();
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
      if (problem !== this.#lastProblem) {
        this.#logger.warn(
          { problem, retryInMs: wait, backlog: this.#store.outboxBacklog() },
          'InfluxDB write failed; backlog kept on disk',
        );
      }
      this.#lastProblem = problem;
      backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      await this.#sleep(wait);
    }
    await abandonInFlight();
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

interface EncodedBatch {
  readonly lastId: number;
  readonly lines: string[];
  /** rows line protocol cannot carry, as one dead letter */
  readonly unencodable: DeadLetter | undefined;
}

/**
 * The batch's lines: stored ones as they are, and line protocol for samples stored without one; a sample
 * that cannot be encoded becomes part of one dead letter.
 */
function encodeBatch(batch: OutboxBatch): EncodedBatch {
  const lines: string[] = [];
  const bad: string[] = [];
  for (const row of batch.rows) {
    if ('line' in row) {
      lines.push(row.line);
      continue;
    }
    if (!('sample' in row)) continue;
    try {
      lines.push(encodeSample(row.sample));
    } catch (err) {
      if (!(err instanceof InfluxError)) throw err;
      bad.push(`${JSON.stringify(row.sample)} ${err.message}`);
    }
  }
  if (bad.length === 0) return { lastId: batch.lastId, lines, unencodable: undefined };
  const payload = Buffer.from(bad.join('\n'));
  return {
    lastId: batch.lastId,
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
