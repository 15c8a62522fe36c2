/**
 * A local fake of the Telegram Bot API, for tests: the methods the notifier uses (sendMessage, getUpdates,
 * answerCallbackQuery, getMe) at `<url>/bot<token>/<method>`, with Telegram's answers: 429 with
 * `retry_after` when a chat gets more than one message a second or the bot more than 30 a second, 400 for
 * HTML Telegram would not parse or a text over 4,096 characters, 401 for a wrong token, and whatever
 * failure a test switches on (5xx, a dropped connection). It keeps everything it was sent, and counts
 * requests that came back before their `retry_after` was over.
 *
 * Real Telegram cannot be reached from the test machines; this is what `TELEGRAM_API_URL` points at.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitForLength } from '../wait-for-length.ts';
import { parseTelegramHtml } from './html.ts';

export const TELEGRAM_MESSAGE_LIMIT = 4096;

export interface SentMessage {
  readonly chatId: string;
  readonly messageId: number;
  readonly text: string;
  /** the text as a user sees it: tags gone, entities decoded */
  readonly visibleText: string;
  readonly parseMode: string | undefined;
  readonly buttons: readonly { text: string; data: string }[];
  /** on the fake's clock */
  readonly at: number;
}

export interface CallbackAnswer {
  readonly callbackQueryId: string;
  readonly text: string | undefined;
  readonly showAlert: boolean;
}

export interface ButtonPress {
  readonly chatId: string;
  readonly messageId: number;
  /** the button's callback_data */
  readonly data: string;
  readonly from: { readonly id: number; readonly username?: string; readonly first_name: string };
}

/** How the fake answers: normally, or as an outage. */
export type FakeTelegramMode = 'ok' | 'server-error' | 'unreachable' | 'unauthorized' | 'forbidden';

export interface FakeTelegramOptions {
  /** the valid token; any other gets 401 */
  readonly token: string;
  /** the fake's clock for the rate limits, e.g. a ManualClock's; default Date.now */
  readonly now?: () => number;
  readonly perChatIntervalMs?: number;
  readonly perBotPerSecond?: number;
  /** longest a getUpdates call is held open with nothing to return, whatever its `timeout` */
  readonly longPollCapMs?: number;
}

export interface FakeTelegram {
  /** what TELEGRAM_API_URL is set to */
  readonly url: string;
  readonly messages: SentMessage[];
  readonly answers: CallbackAnswer[];
  /** every request, by method */
  readonly calls: { method: string; body: Record<string, unknown> }[];
  /** 429s the fake gave for its rate limits or for `throttleNext` */
  readonly tooManyRequests: number;
  /** requests to a chat (or the bot) that came while a 429's retry_after still ran */
  readonly unhonoured: number;
  setMode(mode: FakeTelegramMode): void;
  /** answers the next `count` sendMessage calls with 429 and this retry_after */
  throttleNext(count: number, retryAfterS: number): void;
  /** a user presses an inline button: the next getUpdates returns the callback query */
  pressButton(press: ButtonPress): void;
  /** resolves once at least `count` messages were accepted */
  waitForMessages(count: number, timeoutMs?: number): Promise<SentMessage[]>;
  waitForAnswers(count: number, timeoutMs?: number): Promise<CallbackAnswer[]>;
  close(): Promise<void>;
}

interface Update {
  readonly update_id: number;
  readonly callback_query: Record<string, unknown>;
}

export async function startFakeTelegram(options: FakeTelegramOptions): Promise<FakeTelegram> {
  const now = options.now ?? Date.now;
  const perChatIntervalMs = options.perChatIntervalMs ?? 1000;
  const perBotPerSecond = options.perBotPerSecond ?? 30;
  const longPollCapMs = options.longPollCapMs ?? 1000;
  const messages: SentMessage[] = [];
  const answers: CallbackAnswer[] = [];
  const calls: { method: string; body: Record<string, unknown> }[] = [];
  const lastSentToChat = new Map<string, number>();
  const bannedUntil = new Map<string, number>();
  const recentBotSends: number[] = [];
  const updates: Update[] = [];
  const heldPolls = new Set<() => void>();
  const watchers = new Set<() => void>();
  let mode: FakeTelegramMode = 'ok';
  let throttle = { count: 0, retryAfterS: 0 };
  let tooManyRequests = 0;
  let unhonoured = 0;
  let nextMessageId = 1;
  let nextUpdateId = 1;
  let nextCallbackId = 1;

  const notify = () => {
    for (const w of [...watchers]) w();
  };
  const reply = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, code: number, description: string, retryAfter?: number) =>
    reply(res, code, {
      ok: false,
      error_code: code,
      description,
      ...(retryAfter === undefined ? {} : { parameters: { retry_after: retryAfter } }),
    });
  const tooMany = (res: ServerResponse, key: string, retryAfterS: number) => {
    tooManyRequests += 1;
    bannedUntil.set(key, now() + retryAfterS * 1000);
    error(res, 429, `Too Many Requests: retry after ${retryAfterS}`, retryAfterS);
  };

  const sendMessage = (res: ServerResponse, body: Record<string, unknown>) => {
    const chatId = String(body.chat_id ?? '');
    const text = typeof body.text === 'string' ? body.text : '';
    if (chatId === '') return error(res, 400, 'Bad Request: chat_id is empty');
    const t = now();
    for (const key of [`chat:${chatId}`, 'bot']) {
      const until = bannedUntil.get(key) ?? 0;
      if (t < until) {
        unhonoured += 1;
        return tooMany(res, key, Math.ceil((until - t) / 1000));
      }
    }
    if (throttle.count > 0) {
      throttle.count -= 1;
      return tooMany(res, `chat:${chatId}`, throttle.retryAfterS);
    }
    const last = lastSentToChat.get(chatId);
    if (last !== undefined && t - last < perChatIntervalMs) {
      return tooMany(res, `chat:${chatId}`, Math.ceil((perChatIntervalMs - (t - last)) / 1000));
    }
    while (recentBotSends.length > 0 && (recentBotSends[0] as number) <= t - 1000) recentBotSends.shift();
    if (recentBotSends.length >= perBotPerSecond) return tooMany(res, 'bot', 1);
    let visibleText = text;
    if (body.parse_mode === 'HTML') {
      const parsed = parseTelegramHtml(text);
      if (!parsed.ok) return error(res, 400, parsed.error);
      visibleText = parsed.text;
    }
    if (visibleText.length === 0) return error(res, 400, 'Bad Request: message text is empty');
    if (visibleText.length > TELEGRAM_MESSAGE_LIMIT)
      return error(res, 400, 'Bad Request: message is too long');
    lastSentToChat.set(chatId, t);
    recentBotSends.push(t);
    const markup = body.reply_markup as
      | { inline_keyboard?: { text: string; callback_data: string }[][] }
      | undefined;
    const message: SentMessage = {
      chatId,
      messageId: nextMessageId++,
      text,
      visibleText,
      parseMode: typeof body.parse_mode === 'string' ? body.parse_mode : undefined,
      buttons: (markup?.inline_keyboard ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data })),
      at: t,
    };
    messages.push(message);
    notify();
    reply(res, 200, {
      ok: true,
      result: {
        message_id: message.messageId,
        chat: { id: Number(chatId) },
        date: Math.floor(t / 1000),
        text,
      },
    });
  };

  const getUpdates = (res: ServerResponse, body: Record<string, unknown>) => {
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    // Telegram forgets the updates a call's offset confirms.
    while (updates.length > 0 && (updates[0] as Update).update_id < offset) updates.shift();
    const answer = () => reply(res, 200, { ok: true, result: [...updates] });
    if (updates.length > 0) return answer();
    const timeoutS = typeof body.timeout === 'number' ? body.timeout : 0;
    if (timeoutS <= 0) return answer();
    const done = () => {
      clearTimeout(timer);
      heldPolls.delete(done);
      if (!res.writableEnded && !res.destroyed) answer();
    };
    const timer = setTimeout(done, Math.min(timeoutS * 1000, longPollCapMs));
    heldPolls.add(done);
    // The response's close, not the request's: a request closes as soon as its body is read.
    res.on('close', () => {
      clearTimeout(timer);
      heldPolls.delete(done);
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec((req.url ?? '').split('?')[0] ?? '');
      let body: Record<string, unknown> = {};
      try {
        const text = Buffer.concat(chunks).toString();
        if (text !== '') body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return error(res, 400, 'Bad Request: invalid JSON');
      }
      const method = match?.[2] ?? '';
      calls.push({ method, body });
      if (mode === 'unreachable') return req.socket.destroy();
      if (mode === 'server-error') {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>');
        return;
      }
      if (!match || match[1] !== options.token || mode === 'unauthorized')
        return error(res, 401, 'Unauthorized');
      if (mode === 'forbidden') return error(res, 403, 'Forbidden: bot was kicked from the group chat');
      if (method === 'sendMessage') return sendMessage(res, body);
      if (method === 'getUpdates') return getUpdates(res, body);
      if (method === 'getMe')
        return reply(res, 200, {
          ok: true,
          result: { id: 1, is_bot: true, first_name: 'Fake', username: 'fake_bot' },
        });
      if (method === 'answerCallbackQuery') {
        answers.push({
          callbackQueryId: String(body.callback_query_id),
          text: typeof body.text === 'string' ? body.text : undefined,
          showAlert: body.show_alert === true,
        });
        notify();
        return reply(res, 200, { ok: true, result: true });
      }
      return error(res, 404, 'Not Found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    answers,
    calls,
    get tooManyRequests() {
      return tooManyRequests;
    },
    get unhonoured() {
      return unhonoured;
    },
    setMode(next) {
      mode = next;
    },
    throttleNext(count, retryAfterS) {
      throttle = { count, retryAfterS };
    },
    pressButton(press) {
      updates.push({
        update_id: nextUpdateId++,
        callback_query: {
          id: String(nextCallbackId++),
          from: { is_bot: false, ...press.from },
          message: { message_id: press.messageId, chat: { id: Number(press.chatId), type: 'group' } },
          chat_instance: 'fake',
          data: press.data,
        },
      });
      for (const release of [...heldPolls]) release();
    },
    waitForMessages: (count, timeoutMs = 10_000) =>
      waitForLength(messages, count, timeoutMs, watchers, 'messages at the fake Bot API'),
    waitForAnswers: (count, timeoutMs = 10_000) =>
      waitForLength(answers, count, timeoutMs, watchers, 'callback answers at the fake Bot API'),
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of [...heldPolls]) release();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
