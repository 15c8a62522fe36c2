/**
 * Delivery from the outbox: one lane per destination (a receiver and, for Telegram, a chat) sends its
 * pending notifications oldest first, each part within the rate limits. A notification is marked sent
 * only once every part was accepted; a failure leaves it pending with its next attempt time, so that a
 * restart goes on where the last run stopped and at most the part in flight at a crash goes out twice.
 */
import type { Logger } from '@pdm/service-kit';
import { retryDelayMs } from './backoff.ts';
import { type Clock, sleep } from './clock.ts';
import type { NotificationContent } from './content.ts';
import type { NotificationRow, NotifierDb } from './db.ts';
import { RateLimiter } from './rate-limit.ts';
import type { SendOutcome } from './receivers/outcome.ts';
import type { Receiver } from './receivers/receiver.ts';

export interface DeliveryEvents {
  sent(receiver: string): void;
  failed(receiver: string, kind: Exclude<SendOutcome, { ok: true }>['kind']): void;
}

class Lane {
  busy = false;
  #wake: (() => void) | undefined;
  #poked = false;
  readonly done: Promise<void>;

  constructor(
    readonly receiver: Receiver,
    readonly target: string,
    private readonly owner: Delivery,
  ) {
    this.done = this.#run();
  }

  poke(): void {
    this.#poked = true;
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const { signal } = this.owner;
    while (!signal.aborted) {
      this.busy = true;
      const row = this.owner.db.nextPending(this.receiver.name, this.target);
      if (!row) {
        await this.#waitForPoke(signal);
        continue;
      }
      const wait = row.nextAttemptAt - this.owner.clock.now();
      if (wait > 0) {
        this.busy = false;
        await sleep(this.owner.clock, wait, signal);
        continue;
      }
      await this.#deliver(row, signal);
      // A receiver that answers at once (the console) would otherwise keep this loop on promise callbacks
      // alone, and starve the broker connection and the signal handlers while a backlog drains.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.busy = false;
  }

  async #waitForPoke(signal: AbortSignal): Promise<void> {
    if (this.#poked) {
      this.#poked = false;
      return;
    }
    this.busy = false;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.#wake = undefined;
    this.#poked = false;
  }

  async #deliver(row: NotificationRow, signal: AbortSignal): Promise<void> {
    const { db, clock, limiter, events, logger } = this.owner;
    const receiver = this.receiver;
    const content = JSON.parse(row.content) as NotificationContent;
    const parts = receiver.render(content, row.idempotencyKey);
    const limits = receiver.limits(this.target);
    for (let index = row.partsSent; index < parts.length; index++) {
      for (let wait = limiter.waitMs(limits); wait > 0; wait = limiter.waitMs(limits)) {
        this.busy = false;
        await sleep(clock, wait, signal);
        this.busy = true;
        if (signal.aborted) return;
      }
      limiter.take(limits);
      const outcome = await receiver.send({
        target: this.target,
        text: parts[index] as string,
        index,
        total: parts.length,
        notificationId: row.id,
        idempotencyKey: row.idempotencyKey,
        content,
        signal,
      });
      // Stopping aborts the request: its notification stays pending for the next start.
      if (signal.aborted) return;
      if (!outcome.ok) {
        const now = clock.now();
        const delay =
          outcome.kind === 'rate_limited'
            ? outcome.retryAfterMs
            : retryDelayMs(row.attempts + 1, this.owner.random);
        if (outcome.kind === 'rate_limited')
          for (const l of limits.slice(0, 1)) limiter.block(l.key, now + delay);
        db.markFailedAttempt(row.id, outcome.reason, now + delay);
        events.failed(receiver.name, outcome.kind);
        this.owner.problem(receiver.name, outcome.kind === 'refused' ? outcome.reason : undefined);
        logger.warn(
          {
            receiver: receiver.name,
            target: this.target,
            notification: row.idempotencyKey,
            attempt: row.attempts + 1,
            failure: outcome.kind,
            reason: outcome.reason,
            retryInMs: delay,
          },
          outcome.kind === 'refused'
            ? 'receiver refused the notification: kept, and retried; check its configuration'
            : 'delivery failed: retrying',
        );
        return;
      }
      // The last part marks the whole notification sent: one write, not two.
      if (index + 1 < parts.length) db.partSent(row.id, index + 1);
    }
    db.markSent(row.id, clock.now());
    events.sent(receiver.name);
    this.owner.problem(receiver.name, undefined);
  }
}

export class Delivery {
  readonly db: NotifierDb;
  readonly clock: Clock;
  readonly limiter: RateLimiter;
  readonly events: DeliveryEvents;
  readonly logger: Logger;
  readonly random: () => number;
  readonly #receivers: ReadonlyMap<string, Receiver>;
  readonly #lanes = new Map<string, Lane>();
  readonly #abort = new AbortController();
  /** why a receiver is unhealthy: the reason of its last refusal, until a delivery succeeds */
  readonly problems = new Map<string, string>();

  constructor(options: {
    readonly db: NotifierDb;
    readonly receivers: ReadonlyMap<string, Receiver>;
    readonly clock: Clock;
    readonly events: DeliveryEvents;
    readonly logger: Logger;
    readonly random?: () => number;
  }) {
    this.db = options.db;
    this.#receivers = options.receivers;
    this.clock = options.clock;
    this.limiter = new RateLimiter(options.clock);
    this.events = options.events;
    this.logger = options.logger;
    this.random = options.random ?? Math.random;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Starts a lane for every destination with something pending (from before a restart). */
  start(): void {
    for (const { receiver, target } of this.db.pendingDestinations()) this.poke(receiver, target);
  }

  /** Something new is pending for this destination. */
  poke(receiverName: string, target: string): void {
    if (this.#abort.signal.aborted) return;
    const receiver = this.#receivers.get(receiverName);
    if (!receiver) {
      this.logger.warn(
        { receiver: receiverName },
        'notifications pending for a receiver no longer configured: kept',
      );
      return;
    }
    const key = `${receiverName}\u0000${target}`;
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = new Lane(receiver, target, this);
      this.#lanes.set(key, lane);
    }
    lane.poke();
  }

  problem(receiver: string, reason: string | undefined): void {
    if (reason === undefined) this.problems.delete(receiver);
    else this.problems.set(receiver, reason);
  }

  /** Resolves once no lane is sending: every one waits for its clock or for new work (for tests). */
  async idle(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (![...this.#lanes.values()].some((l) => l.busy)) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  /** Aborts what is in flight (it stays pending) and ends every lane. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all([...this.#lanes.values()].map((l) => l.done));
  }
}
