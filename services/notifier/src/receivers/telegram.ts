/**
 * The Telegram receiver: sendMessage in HTML parse mode to each configured chat, split at 4,096
 * characters, within about one message a second per chat and 30 a second per bot, with "Acknowledge"
 * and "Silence 4 h" buttons under an alarm.
 */
import type { TelegramReceiverConfig } from '../config.ts';
import type { NotificationContent } from '../content.ts';
import { HTML, renderMessage } from '../render.ts';
import type { PartToSend, RateLimit, Receiver } from './receiver.ts';
import { TelegramApi } from './telegram-api.ts';

/** Telegram's guidance: about one message a second in a chat, 30 a second from a bot. */
export const PER_CHAT: Omit<RateLimit, 'key'> = { max: 1, windowMs: 1000 };
export const PER_BOT: Omit<RateLimit, 'key'> = { max: 30, windowMs: 1000 };
/** …and at most 20 a minute in a group (a negative chat id), where Telegram is stricter. */
export const PER_GROUP: Omit<RateLimit, 'key'> = { max: 20, windowMs: 60_000 };

/** callback_data of the buttons, at most 64 bytes: the action and the notification's outbox id. */
export const BUTTON_ACTIONS = { ack: 'ack', silence: 'sil' } as const;
export const SILENCE_BUTTON_HOURS = 4;

export function buttonData(action: keyof typeof BUTTON_ACTIONS, notificationId: number): string {
  return `${BUTTON_ACTIONS[action]}:${notificationId}`;
}

export function parseButtonData(
  data: string,
): { action: 'ack' | 'silence'; notificationId: number } | undefined {
  const m = /^(ack|sil):(\d{1,15})$/.exec(data);
  if (!m) return undefined;
  return { action: m[1] === 'ack' ? 'ack' : 'silence', notificationId: Number(m[2]) };
}

/** Buttons go under a message with open alarms nobody acknowledged yet. */
export function wantsButtons(content: NotificationContent): boolean {
  return (
    (content.kind === 'alarm' || content.kind === 'repeat') &&
    content.firing.some((a) => a.acknowledged === null)
  );
}

export function botKey(token: string): string {
  // The bot's numeric id, the token's part before the colon: the token itself stays out of keys and logs.
  return `bot:${token.split(':')[0]}`;
}

export function createTelegramReceiver(config: TelegramReceiverConfig): Receiver {
  const api = new TelegramApi(config.apiUrl, config.botToken);
  const bot = botKey(config.botToken);
  return {
    name: config.name,
    type: 'telegram',
    targets: config.chatIds,
    render: (content) => renderMessage(content, HTML),
    // The chat's own limit first: a 429's retry_after holds that chat back.
    limits: (target) => [
      { key: `${bot}:chat:${target}`, ...PER_CHAT },
      ...(target.startsWith('-') ? [{ key: `${bot}:group:${target}`, ...PER_GROUP }] : []),
      { key: bot, ...PER_BOT },
    ],
    async send(part: PartToSend) {
      const last = part.index === part.total - 1;
      const answer = await api.call(
        'sendMessage',
        {
          chat_id: part.target,
          text: part.text,
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(last && wantsButtons(part.content)
            ? {
                reply_markup: {
                  inline_keyboard: [
                    [
                      { text: 'Acknowledge', callback_data: buttonData('ack', part.notificationId) },
                      {
                        text: `Silence ${SILENCE_BUTTON_HOURS} h`,
                        callback_data: buttonData('silence', part.notificationId),
                      },
                    ],
                  ],
                },
              }
            : {}),
        },
        { signal: part.signal },
      );
      return answer.ok ? { ok: true } : answer;
    },
  };
}
