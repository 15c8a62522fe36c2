/**
 * A clock that moves only when a test says so: timers run in time order as it advances, so code that
 * waits seconds, minutes or hours (group intervals, retry backoff, rate limits) is tested without sleeping.
 * Its shape is what services take as their clock: `now()`, and `setTimeout` returning a cancel function.
 */

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
}

export class ManualClock {
  #now: number;
  #order = 0;
  #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Runs `run` once the clock has advanced `ms`; returns a function that cancels it. */
  setTimeout(run: () => void, ms: number): () => void {
    const timer: Timer = { at: this.#now + Math.max(0, ms), order: this.#order++, run };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** timers not yet run */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Moves the clock forward by `ms`, running every timer that falls due on the way at its own time, in
   * order. After each, pending promise callbacks run, so that a timer set by another timer's callback
   * (a retry after a failure) runs too if it falls within the step.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const next = this.#nextDue(end);
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.run();
    }
    this.#now = end;
    await settle();
  }

  #nextDue(end: number): Timer | undefined {
    let next: Timer | undefined;
    for (const t of this.#timers) {
      if (t.at > end) continue;
      if (!next || t.at < next.at || (t.at === next.at && t.order < next.order)) next = t;
    }
    return next;
  }
}

/** Lets promise callbacks and I/O callbacks that are ready run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
