/**
 * The pumps inference keeps state for: at most `maxPumps` at once, each forgotten, in every per-pump
 * map, once it has been silent for `idleMs`. Without it, every pump id ever seen stays in memory.
 *
 * Silence is judged by the time of receipt (a monotonic wall clock), not by device time. Memory is this
 * process's concern, and device time cannot measure it: it differs from pump to pump, may run ahead of
 * the wall clock (a replay, --time-scale) or be plain wrong (see RESTART_AFTER in @pdm/features), and a
 * pump whose clock stopped would never look idle. The cost: after an outage of the broker or of
 * inference longer than the idle time, the queued samples meet empty windows, as after a restart.
 */

export interface TrackingOptions {
  readonly maxPumps: number;
  /** ms without a message after which a pump is forgotten */
  readonly idleMs: number;
}

export class TrackedPumps {
  readonly #lastSeen = new Map<string, number>();
  readonly #options: TrackingOptions;
  readonly #forget: (pumpIds: readonly string[]) => void;

  /** `forget` drops everything kept for these pumps */
  constructor(options: TrackingOptions, forget: (pumpIds: readonly string[]) => void) {
    this.#options = options;
    this.#forget = forget;
  }

  get size(): number {
    return this.#lastSeen.size;
  }

  /** How often to sweep: often enough that a pump outlives its idle time by a quarter at most. */
  get sweepEveryMs(): number {
    return Math.min(60_000, Math.max(100, this.#options.idleMs / 4));
  }

  /** whether the pump has state here */
  has(pumpId: string): boolean {
    return this.#lastSeen.has(pumpId);
  }

  /** Notes a message of the pump received at `now`; false, noting nothing, for a new pump beyond the bound. */
  admit(pumpId: string, now: number): boolean {
    const seen = this.#lastSeen;
    if (seen.size >= this.#options.maxPumps && !seen.has(pumpId)) return false;
    seen.set(pumpId, now);
    return true;
  }

  /**
   * Forgets the pumps last heard of before `now - idleMs`, and before `settledBefore`, the receipt time
   * of the oldest sample still in flight: its pump's state is still needed. One pass over the tracked
   * pumps; returns those forgotten.
   */
  sweep(now: number, settledBefore = Number.POSITIVE_INFINITY): readonly string[] {
    const cutoff = Math.min(now - this.#options.idleMs, settledBefore);
    const idle: string[] = [];
    for (const [id, at] of this.#lastSeen) if (at < cutoff) idle.push(id);
    for (const id of idle) this.#lastSeen.delete(id);
    if (idle.length > 0) this.#forget(idle);
    return idle;
  }
}
