/**
 * Inputs inference cannot use, kept for a person to look at: one JSON line each in
 * dead-letters-<day>.jsonl, the payload clipped, and a warning rate-limited per reason.
 */
import { clipTopic, DEAD_LETTERS_LOG } from '@pdm/contract';
import { type Logger, RateLimitedLog } from '@pdm/service-kit';
import { DailyLog } from './daily-log.ts';

const PAYLOAD_BYTES = 4096;

export class DeadLetters {
  readonly #log: DailyLog;
  readonly #warn: RateLimitedLog;

  constructor(dir: string, retainDays: number, logger: Logger) {
    this.#log = new DailyLog({ dir, prefix: DEAD_LETTERS_LOG, extension: 'jsonl', retainDays });
    this.#warn = new RateLimitedLog(logger.child({ component: 'validation' }));
  }

  /** `why` is the warning's message. */
  write(rawTopic: string, payload: Buffer, reason: string, detail: string, why: string): void {
    const topic = clipTopic(rawTopic);
    this.#warn.warn(reason, { topic, detail, bytes: payload.length }, why);
    this.#log.write(
      `${JSON.stringify({
        received_at: new Date().toISOString(),
        topic,
        reason,
        detail,
        payload: payload.subarray(0, PAYLOAD_BYTES).toString('utf8'),
        payload_bytes: payload.length,
      })}\n`,
    );
  }

  close(): Promise<void> {
    return this.#log.close();
  }
}
