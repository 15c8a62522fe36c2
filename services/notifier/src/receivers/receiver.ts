/** What the outbox needs of a receiver: where a notification goes, its parts, and how to send one. */
import type { NotificationContent } from '../content.ts';
import type { SendOutcome } from './outcome.ts';

/** At most `max` messages per `windowMs` under `key` (a chat, a bot). */
export interface RateLimit {
  readonly key: string;
  readonly max: number;
  readonly windowMs: number;
}

export interface PartToSend {
  readonly target: string;
  readonly text: string;
  /** 0-based, of `total` */
  readonly index: number;
  readonly total: number;
  readonly notificationId: number;
  readonly idempotencyKey: string;
  readonly content: NotificationContent;
  readonly signal: AbortSignal;
}

export interface Receiver {
  readonly name: string;
  readonly type: 'telegram' | 'webhook' | 'console';
  /** where each notification goes: Telegram chat ids, or [''] for one destination */
  readonly targets: readonly string[];
  /** the messages one notification becomes, in order (Telegram splits at 4,096 characters) */
  render(content: NotificationContent, idempotencyKey: string): string[];
  send(part: PartToSend): Promise<SendOutcome>;
  /** the rate limits a message to `target` counts against */
  limits(target: string): readonly RateLimit[];
}
