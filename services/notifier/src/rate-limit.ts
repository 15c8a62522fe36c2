/**
 * Rate limits on the notifier's clock: at most `max` sends per `windowMs` under each key (a sliding
 * window), and keys blocked until a 429's retry_after is over.
 */
import type { Clock } from './clock.ts';
import type { RateLimit } from './receivers/receiver.ts';

export class RateLimiter {
  readonly #clock: Clock;
  readonly #sent = new Map<string, number[]>();
  readonly #blockedUntil = new Map<string, number>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** ms until a send within every limit is allowed; 0 when it is now */
  waitMs(limits: readonly RateLimit[]): number {
    const now = this.#clock.now();
    let wait = 0;
    for (const limit of limits) {
      wait = Math.max(wait, (this.#blockedUntil.get(limit.key) ?? 0) - now);
      const sent = this.#recent(limit, now);
      if (sent.length >= limit.max)
        wait = Math.max(wait, (sent[sent.length - limit.max] as number) + limit.windowMs - now);
    }
    return Math.max(0, wait);
  }

  /** Counts a send now against every limit. */
  take(limits: readonly RateLimit[]): void {
    const now = this.#clock.now();
    for (const limit of limits) {
      const sent = this.#recent(limit, now);
      sent.push(now);
      this.#sent.set(limit.key, sent);
    }
  }

  /** Nothing goes out under `key` before `until` (a 429's retry_after). */
  block(key: string, until: number): void {
    this.#blockedUntil.set(key, Math.max(until, this.#blockedUntil.get(key) ?? 0));
  }

  #recent(limit: RateLimit, now: number): number[] {
    const sent = (this.#sent.get(limit.key) ?? []).filter((t) => t > now - limit.windowMs);
    this.#sent.set(limit.key, sent);
    return sent;
  }
}
