/**
 * Group commit. mqtt.js hands each connection's messages over one at a time and sends the PUBACK only
 * when our handler resolves, so a connection can never have two messages waiting for the disk. Many
 * connections (lanes) fill one transaction instead: each message waits for the next commit, and one
 * fsync covers them all.
 */

import type { Histogram, Logger } from '@pdm/service-kit';
import type { DeadLetter, NewAlert, NewPrediction, NewSample, SampleStore, WriteResult } from '@pdm/store';

export interface CommitterMetrics {
  readonly onCommit: (result: WriteResult, ms: number) => void;
  readonly writeLatency: Histogram;
  readonly batchSize: Histogram;
}

export interface CommitterOptions {
  readonly maxBatch: number;
  /** false while intake must pause (the InfluxDB backlog is full); commits wait until it turns true */
  readonly mayCommit: () => boolean;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

export class GroupCommitter {
  #samples: NewSample[] = [];
  #predictions: NewPrediction[] = [];
  #alerts: NewAlert[] = [];
  #deadLetters: DeadLetter[] = [];
  #waiters: Array<() => void> = [];
  #scheduled = false;
  #committing = false;
  #failing: Error | undefined;
  #paused = false;
  readonly #store: SampleStore;
  readonly #options: CommitterOptions;
  readonly #metrics: CommitterMetrics;
  readonly #logger: Logger;

  constructor(store: SampleStore, options: CommitterOptions, metrics: CommitterMetrics, logger: Logger) {
    this.#store = store;
    this.#options = options;
    this.#metrics = metrics;
    this.#logger = logger;
  }

  /** the last commit error, while commits keep failing */
  get failing(): Error | undefined {
    return this.#failing;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Resolves once the sample is on disk (or was already there, or conflicts and its dead letter is). */
  addSample(sample: NewSample): Promise<void> {
    this.#samples.push(sample);
    return this.#enqueue();
  }

  /** Resolves once the prediction is on disk (or a copy of it was already there). */
  addPrediction(prediction: NewPrediction): Promise<void> {
    this.#predictions.push(prediction);
    return this.#enqueue();
  }

  /** Resolves once the alert is on disk (or a copy of it was already there). */
  addAlert(alert: NewAlert): Promise<void> {
    this.#alerts.push(alert);
    return this.#enqueue();
  }

  /** Resolves once the dead letter is on disk. */
  addDeadLetter(letter: DeadLetter): Promise<void> {
    this.#deadLetters.push(letter);
    return this.#enqueue();
  }

  /**
   * A gateway message: its samples and the dead letters of its bad rows go into the same transaction,
   * and the promise resolves once all of them are on disk, so the message is acknowledged whole or not at all.
   */
  addMany(samples: readonly NewSample[], deadLetters: readonly DeadLetter[]): Promise<void> {
    for (const s of samples) this.#samples.push(s);
    for (const d of deadLetters) this.#deadLetters.push(d);
    return this.#enqueue();
  }

  /** Commits whatever is pending now. */
  async flush(): Promise<void> {
    if (this.#waiters.length === 0) return;
    await new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
      this.#schedule(0);
    });
  }

  #enqueue(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
      // A full batch goes now; otherwise wait for the lanes whose messages arrive in this turn.
      if (this.#pendingRecords() >= this.#options.maxBatch) this.#commit();
      else this.#schedule(0);
    });
  }

  #pendingRecords(): number {
    return this.#samples.length + this.#predictions.length + this.#alerts.length + this.#deadLetters.length;
  }

  #schedule(delayMs: number): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const run = () => {
      this.#scheduled = false;
      this.#commit();
    };
    if (delayMs === 0) setImmediate(run);
    else setTimeout(run, delayMs);
  }

  #commit(retryMs = RETRY_MIN_MS): void {
    if (this.#committing || this.#waiters.length === 0) return;
    if (!this.#options.mayCommit()) {
      if (!this.#paused)
        this.#logger.error('InfluxDB backlog is full: intake paused, the broker keeps queueing');
      this.#paused = true;
      this.#schedule(500);
      return;
    }
    if (this.#paused) this.#logger.warn('backlog below its bound again: intake resumed');
    this.#paused = false;
    const batch = {
      samples: this.#samples,
      predictions: this.#predictions,
      alerts: this.#alerts,
      deadLetters: this.#deadLetters,
    };
    const waiters = this.#waiters;
    this.#committing = true;
    const started = performance.now();
    try {
      const result = this.#store.write(batch);
      this.#samples = [];
      this.#predictions = [];
      this.#alerts = [];
      this.#deadLetters = [];
      this.#waiters = [];
      const ms = performance.now() - started;
      this.#metrics.writeLatency.observe(ms);
      this.#metrics.batchSize.observe(
        batch.samples.length + batch.predictions.length + batch.alerts.length + batch.deadLetters.length,
      );
      this.#metrics.onCommit(result, ms);
      if (this.#failing) this.#logger.info('store writable again');
      this.#failing = undefined;
      for (const resolve of waiters) resolve();
    } catch (err) {
      // Nothing is acknowledged: the messages stay pending (and unacknowledged at the broker) until a
      // commit succeeds. Retrying forever is right: giving up would mean losing them.
      this.#failing = err as Error;
      this.#logger.error(
        { err, pending: waiters.length, retryInMs: retryMs },
        'store write failed; retrying, nothing acknowledged',
      );
      setTimeout(() => {
        this.#committing = false;
        this.#commit(Math.min(RETRY_MAX_MS, retryMs * 2));
      }, retryMs);
      return;
    } finally {
      if (!this.#failing) this.#committing = false;
    }
    // Messages that arrived during the commit (a full batch while one was running) go next.
    if (this.#waiters.length > 0) this.#schedule(0);
  }
}
