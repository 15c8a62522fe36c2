/**
 * RETAIN_DAYS in SQLite mode: deletes production rows past their age in small steps, each its own short
 * transaction between the group commits, so ingestion never waits for more than one step. While a backlog
 * of old rows remains it steps again soon; once caught up, every few seconds.
 */
import type { Counter, Logger } from '@pdm/service-kit';
import type { SampleStore } from '@pdm/store';

export interface RetentionOptions {
  /** rows received longer ago than this are deleted */
  readonly retainMs: number;
  /** rows of each table one step looks at */
  readonly stepRows: number;
  /** pause between steps while old rows remain, and once caught up */
  readonly busyPauseMs: number;
  readonly idlePauseMs: number;
}

export const DEFAULT_RETENTION_STEPS = { stepRows: 2000, busyPauseMs: 50, idlePauseMs: 5000 } as const;

export class Retention {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** rows deleted since the last log line */
  #unreported = 0;
  readonly #store: SampleStore;
  readonly #options: RetentionOptions;
  readonly #pruned: Counter;
  readonly #logger: Logger;

  constructor(store: SampleStore, options: RetentionOptions, pruned: Counter, logger: Logger) {
    this.#store = store;
    this.#options = options;
    this.#pruned = pruned;
    this.#logger = logger;
  }

  start(): void {
    this.#schedule(0);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#step(), ms);
  }

  #step(): void {
    let more = false;
    try {
      const step = this.#store.pruneExpired(Date.now() - this.#options.retainMs, this.#options.stepRows);
      more = step.more;
      this.#pruned.inc(step.deleted);
      this.#unreported += step.deleted;
      if (!more && this.#unreported > 0) {
        this.#logger.info(
          { deleted: this.#unreported, retainDays: this.#options.retainMs / 86_400_000 },
          'deleted production rows older than RETAIN_DAYS',
        );
        this.#unreported = 0;
      }
    } catch (err) {
      // The committer reports a failing disk; retention just tries again later.
      this.#logger.error({ err }, 'retention step failed; trying again later');
    }
    this.#schedule(more ? this.#options.busyPauseMs : this.#options.idlePauseMs);
  }
}
