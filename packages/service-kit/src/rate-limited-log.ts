/**
 * Warn-level logging that cannot flood: the first few events of each kind per window are logged in
 * full, the rest only counted, and the count is reported when the window ends.
 */
import type { Logger } from 'pino';

export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #perWindow: number;
  readonly #windowMs: number;
  #windowStart = 0;
  readonly #seen = new Map<string, number>();

  constructor(logger: Logger, { perWindow = 5, windowMs = 60_000 } = {}) {
    this.#logger = logger;
    this.#perWindow = perWindow;
    this.#windowMs = windowMs;
  }

  warn(kind: string, fields: Record<string, unknown>, message: string, now = Date.now()): void {
    if (now - this.#windowStart >= this.#windowMs) this.#rollOver(now);
    const count = (this.#seen.get(kind) ?? 0) + 1;
    this.#seen.set(kind, count);
    if (count <= this.#perWindow) this.#logger.warn({ kind, ...fields }, message);
  }

  #rollOver(now: number): void {
    for (const [kind, count] of this.#seen) {
      if (count > this.#perWindow) {
        this.#logger.warn(
          { kind, suppressed: count - this.#perWindow, windowS: this.#windowMs / 1000 },
          'more of the same were not logged',
        );
      }
    }
    this.#seen.clear();
    this.#windowStart = now;
  }
}
