/** Flags and environment of the notifier; the simple case's names are the (TELEGRAM_*, WEBHOOK_*, GROUP_*). */
import {
  booleanOption,
  clientIdOption,
  intOption,
  numberOption,
  type OptionSpecs,
  sharedOptions,
  urlOption,
} from '@pdm/service-kit';
import { z } from 'zod';
import { DEFAULT_TELEGRAM_API_URL } from './config.ts';

export const program = {
  name: 'notifier',
  summary:
    'Sends alarms from pdm/v1/alerts/+ to people: Telegram chats, webhooks, the console. Alertmanager-like: routed,\n' +
    'grouped (group_wait, group_interval, repeat_interval), BROKEN inhibits FAULTY of the same pump, silences\n' +
    '(pnpm silence, /api/silences), resolved notices. Each alert is acknowledged to the broker only once it is\n' +
    'in the SQLite outbox; delivery retries for as long as it takes. Acknowledge from the chat with its buttons.\n' +
    'Receivers come from NOTIFIER_CONFIG (YAML or JSON) or, for the simple case, from TELEGRAM_* and WEBHOOK_*.',
};

const positiveSeconds = (dflt: number) => numberOption(dflt, { min: 0.001, max: 30 * 86_400 });

export const options = {
  test: {
    schema: booleanOption(false),
    flag: 'test',
    boolean: true,
    help: 'send one test message through every configured receiver, print the results and exit (0: all arrived)',
  },
  configFile: {
    schema: z.string().min(1).optional(),
    flag: 'config',
    env: 'NOTIFIER_CONFIG',
    placeholder: 'FILE',
    help: 'receivers, routes and inhibit rules, YAML or JSON (see README, "Notifications"); instead of TELEGRAM_* and WEBHOOK_*',
  },
  dbPath: {
    schema: z.string().min(1).default('data/notifier.sqlite'),
    flag: 'db-path',
    env: 'NOTIFIER_DB_PATH',
    placeholder: 'PATH',
    help: 'the notifier’s SQLite file: intake, outbox, silences, acks (created if absent)',
  },
  telegramBotToken: {
    schema: z.string().optional(),
    env: 'TELEGRAM_BOT_TOKEN',
    help: 'Telegram bot token from BotFather (with TELEGRAM_CHAT_ID)',
  },
  telegramChatId: {
    schema: z.string().optional(),
    env: 'TELEGRAM_CHAT_ID',
    help: 'Telegram chat id(s) to notify, comma-separated; members there may acknowledge',
  },
  telegramApiUrl: {
    schema: urlOption(DEFAULT_TELEGRAM_API_URL, ['http', 'https']),
    env: 'TELEGRAM_API_URL',
    help: 'Telegram Bot API base URL (a local Bot API server, or a fake in tests)',
  },
  webhookUrl: {
    schema: z
      .string()
      .refine(
        (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
        'expected an http:// or https:// URL',
      )
      .optional(),
    env: 'WEBHOOK_URL',
    help: 'POST each notification here as signed JSON',
  },
  webhookSecret: {
    schema: z.string().optional(),
    env: 'WEBHOOK_SECRET',
    help: 'HMAC-SHA256 key of the webhook signature (X-PDM-Signature); at least 16 characters',
  },
  webhookFormat: {
    schema: z.enum(['pdm', 'alertmanager'], { message: 'expected pdm or alertmanager' }).default('pdm'),
    env: 'WEBHOOK_FORMAT',
    help: 'pdm: the documented body; alertmanager: Alertmanager’s webhook body',
  },
  console: {
    schema: booleanOption(false),
    flag: 'console',
    env: 'NOTIFIER_CONSOLE',
    boolean: true,
    negatable: true,
    help: 'also write each notification to the log (always, when no other receiver is configured)',
  },
  groupWaitS: {
    schema: numberOption(30, { min: 0, max: 86_400 }),
    flag: 'group-wait-s',
    env: 'GROUP_WAIT_S',
    placeholder: 'S',
    help: 'seconds a new group waits for more alarms before its first message',
  },
  groupIntervalS: {
    schema: positiveSeconds(300),
    flag: 'group-interval-s',
    env: 'GROUP_INTERVAL_S',
    placeholder: 'S',
    help: 'seconds between two messages of a group that changed',
  },
  repeatIntervalS: {
    schema: positiveSeconds(14_400),
    flag: 'repeat-interval-s',
    env: 'REPEAT_INTERVAL_S',
    placeholder: 'S',
    help: 'seconds before an open, unacknowledged alarm is sent again',
  },
  groupBy: {
    schema: z.enum(['state', 'pump'], { message: 'expected state or pump' }).default('state'),
    flag: 'group-by',
    env: 'GROUP_BY',
    placeholder: 'BY',
    help: 'state: one message for all pumps in a state; pump: one per pump',
  },
  httpPort: {
    schema: intOption(9103, { min: 0, max: 65_535 }),
    flag: 'http-port',
    env: 'HTTP_PORT',
    placeholder: 'PORT',
    help: '/healthz, /metrics and /api/silences port (0: any free port)',
  },
  httpHost: {
    schema: z.string().min(1).default('127.0.0.1'),
    flag: 'http-host',
    env: 'HTTP_HOST',
    placeholder: 'HOST',
    help: 'address the HTTP endpoints listen on; the silences API changes what is sent, so keep it local or behind a proxy',
  },
  ...sharedOptions,
  clientId: clientIdOption('notifier'),
} as const satisfies OptionSpecs;
