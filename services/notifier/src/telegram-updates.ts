/**
 * Button presses from Telegram, read with getUpdates long polling (no public URL needed): Acknowledge
 * and "Silence 4 h" from the configured chats are carried out, from any other chat refused, and each is
 * answered with answerCallbackQuery. The update offset is stored, so a restart reads each press once.
 */
import type { Logger } from '@pdm/service-kit';
import type { AckDesk } from './acks.ts';
import { retryDelayMs } from './backoff.ts';
import { type Clock, sleep } from './clock.ts';
import type { NotifierDb } from './db.ts';
import { botKey, parseButtonData, SILENCE_BUTTON_HOURS } from './receivers/telegram.ts';
import { TelegramApi } from './receivers/telegram-api.ts';

/** Seconds Telegram holds a getUpdates call open while there is nothing to return. */
const LONG_POLL_S = 25;
/** answerCallbackQuery shows at most 200 characters. */
const ANSWER_CHARS = 200;

interface CallbackQuery {
  readonly id: string;
  readonly from: {
    readonly id: number;
    readonly username?: string;
    readonly first_name?: string;
    readonly last_name?: string;
  };
  readonly message?: { readonly chat?: { readonly id?: number | string } };
  readonly data?: string;
}

interface Update {
  readonly update_id: number;
  readonly callback_query?: CallbackQuery;
}

export interface ButtonEvents {
  pressed(outcome: 'acknowledged' | 'silenced' | 'refused' | 'unknown'): void;
}

export class TelegramUpdates {
  readonly #api: TelegramApi;
  readonly #offsetKey: string;
  readonly #allowedChats: ReadonlySet<string>;
  readonly #db: NotifierDb;
  readonly #desk: AckDesk;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: ButtonEvents;
  readonly #random: () => number;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  /** why reading button presses fails, while it does */
  problem: string | undefined;

  constructor(options: {
    apiUrl: string;
    token: string;
    allowedChats: ReadonlySet<string>;
    db: NotifierDb;
    desk: AckDesk;
    clock: Clock;
    logger: Logger;
    events: ButtonEvents;
    random?: () => number;
  }) {
    this.#api = new TelegramApi(options.apiUrl, options.token);
    this.#offsetKey = `telegram_update_offset:${botKey(options.token)}`;
    this.#allowedChats = options.allowedChats;
    this.#db = options.db;
    this.#desk = options.desk;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#events = options.events;
    this.#random = options.random ?? Math.random;
  }

  start(): void {
    this.#loop ??= this.#poll();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #poll(): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      const offset = Number(this.#db.meta(this.#offsetKey) ?? 0);
      const answer = await this.#api.call<Update[]>(
        'getUpdates',
        { offset, timeout: LONG_POLL_S, allowed_updates: ['callback_query'] },
        { signal, extraTimeoutMs: LONG_POLL_S * 1000 },
      );
      if (signal.aborted) return;
      if (!answer.ok) {
        failures += 1;
        // 409: another program reads this bot's updates (or a webhook is set); 401: a wrong token.
        this.problem = answer.kind === 'refused' ? `getUpdates: ${answer.reason}` : undefined;
        const wait =
          answer.kind === 'rate_limited' ? answer.retryAfterMs : retryDelayMs(failures, this.#random);
        this.#logger.warn(
          { reason: answer.reason, retryInMs: wait },
          'could not read Telegram button presses',
        );
        await sleep(this.#clock, wait, signal);
        continue;
      }
      failures = 0;
      this.problem = undefined;
      for (const update of answer.result) {
        if (update.callback_query) await this.#handle(update.callback_query, signal);
        this.#db.setMeta(this.#offsetKey, String(update.update_id + 1));
      }
    }
  }

  async #handle(query: CallbackQuery, signal: AbortSignal): Promise<void> {
    const chat = String(query.message?.chat?.id ?? '');
    const person = {
      by: query.from.username
        ? `@${query.from.username}`
        : [query.from.first_name, query.from.last_name].filter(Boolean).join(' ') || `user ${query.from.id}`,
      userId: String(query.from.id),
    };
    const pressed = query.data === undefined ? undefined : parseButtonData(query.data);
    let text: string;
    let alert = false;
    if (!this.#allowedChats.has(chat)) {
      this.#events.pressed('refused');
      this.#logger.warn(
        { chat, by: person.by },
        'button press from a chat that may not acknowledge: refused',
      );
      text = 'Not allowed: acknowledgements are accepted only from the configured chats.';
      alert = true;
    } else if (!pressed) {
      this.#events.pressed('unknown');
      text = 'Unknown button.';
    } else if (pressed.action === 'ack') {
      const result = this.#desk.acknowledge(pressed.notificationId, person, 'telegram');
      this.#events.pressed(result ? 'acknowledged' : 'unknown');
      text = !result
        ? 'This notification is no longer known.'
        : result.acknowledged.length > 0
          ? `Acknowledged by ${person.by}: ${result.acknowledged.join(', ')}. No more reminders for these.`
          : result.already.length > 0
            ? `Already acknowledged: ${result.already.join(', ')}.`
            : 'Nothing to acknowledge: these pumps have recovered.';
    } else {
      const pumps = this.#desk.silence(pressed.notificationId, person, SILENCE_BUTTON_HOURS);
      this.#events.pressed(pumps ? 'silenced' : 'unknown');
      text = !pumps
        ? 'This notification is no longer known.'
        : pumps.length > 0
          ? `Silenced for ${SILENCE_BUTTON_HOURS} h by ${person.by}: ${pumps.join(', ')}.`
          : 'Nothing to silence: these pumps have recovered.';
    }
    const answer = await this.#api.call(
      'answerCallbackQuery',
      {
        callback_query_id: query.id,
        text: text.length > ANSWER_CHARS ? `${text.slice(0, ANSWER_CHARS - 1)}…` : text,
        show_alert: alert,
      },
      { signal },
    );
    if (!answer.ok) this.#logger.warn({ reason: answer.reason }, 'could not answer a button press');
  }
}
