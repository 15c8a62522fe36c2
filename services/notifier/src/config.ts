/**
 * Receivers, routes and inhibition: from a YAML or JSON file for several receivers, or from a few
 * environment variables for the simple case. Validated with zod at start-up; every problem is reported
 * at once, by its place in the file.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ALARM_NAMES, type AlarmName } from './alerts.ts';
import { PUMP_PATTERN } from './pattern.ts';

export const DEFAULT_TELEGRAM_API_URL = 'https://api.telegram.org';
/** Labels a route may group by: one message per state (default), per pump, or per both. */
export const GROUP_LABELS = ['state', 'pump_id'] as const;
export type GroupLabel = (typeof GROUP_LABELS)[number];

export interface Timings {
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
}

/** Alertmanager's defaults, which the issue keeps. */
export const DEFAULT_TIMINGS: Timings = {
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3_600_000,
};

export interface TelegramReceiverConfig {
  readonly type: 'telegram';
  readonly name: string;
  readonly botToken: string;
  readonly chatIds: readonly string[];
  /** chats whose members may press Acknowledge and Silence: chatIds and these */
  readonly ackChatIds: readonly string[];
  readonly apiUrl: string;
}

export interface WebhookReceiverConfig {
  readonly type: 'webhook';
  readonly name: string;
  readonly url: string;
  /** signs each request (HMAC-SHA256), so that the receiver can reject forgeries and replays */
  readonly secret: string;
  /** pdm: the documented body; alertmanager: Alertmanager's webhook body, for receivers made for it */
  readonly format: 'pdm' | 'alertmanager';
}

export interface ConsoleReceiverConfig {
  readonly type: 'console';
  readonly name: string;
  /** appends each message to this file; without it, a log line on stdout */
  readonly path: string | undefined;
}

export type ReceiverConfig = TelegramReceiverConfig | WebhookReceiverConfig | ConsoleReceiverConfig;

export interface RouteConfig extends Timings {
  /** names the route's groups; stable across restarts, as the outbox refers to it */
  readonly id: string;
  readonly receivers: readonly string[];
  /** the alarms it takes, by name: FAULTY, BROKEN, RUL_LOW */
  readonly states: readonly AlarmName[];
  /** a pump id pattern, or every pump */
  readonly pumps: string | undefined;
  readonly groupBy: readonly GroupLabel[];
  readonly sendResolved: boolean;
}

export interface InhibitRule {
  /** a firing alarm in this state … */
  readonly source: AlarmName;
  /** … mutes this one, of the same pump */
  readonly target: AlarmName;
}

export interface NotifierConfig {
  readonly receivers: readonly ReceiverConfig[];
  readonly routes: readonly RouteConfig[];
  readonly inhibitRules: readonly InhibitRule[];
}

/**
 * BROKEN mutes FAULTY, and a low remaining useful life too: once a pump is broken its repair is due now,
 * not to be planned. Neither FAULTY nor RUL_LOW mutes the other (one says what the pump is, the other how
 * long it has), and RUL_LOW mutes nothing.
 */
export const DEFAULT_INHIBIT_RULES: readonly InhibitRule[] = [
  { source: 'BROKEN', target: 'FAULTY' },
  { source: 'BROKEN', target: 'RUL_LOW' },
];

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "-" or ".", at most 64');
/** a chat's numeric id (negative for groups) or a public channel's @name */
const chatId = z
  .union([z.number().int(), z.string()])
  .transform(String)
  .pipe(z.string().regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, 'a numeric chat id or @channelname'));
const httpUrl = z
  .string()
  .refine(
    (s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol),
    'expected an http:// or https:// URL',
  );
const seconds = z
  .number()
  .min(0)
  .max(30 * 24 * 3600);
const alarmState = z.enum(ALARM_NAMES);

const timingsShape = {
  group_wait_s: seconds.optional(),
  group_interval_s: seconds.min(0.001).optional(),
  repeat_interval_s: seconds.min(0.001).optional(),
  group_by: z.array(z.enum(GROUP_LABELS)).max(2).optional(),
};

const fileSchema = z
  .object({
    defaults: z.object(timingsShape).strict().optional(),
    receivers: z
      .array(
        z.discriminatedUnion('type', [
          z
            .object({
              type: z.literal('telegram'),
              name,
              bot_token: z
                .string()
                .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'a bot token as BotFather gives it, 123456:ABC…'),
              chat_ids: z.array(chatId).min(1, 'at least one chat id'),
              ack_chat_ids: z.array(chatId).optional(),
              api_url: httpUrl.optional(),
            })
            .strict(),
          z
            .object({
              type: z.literal('webhook'),
              name,
              url: httpUrl,
              secret: z.string().min(16, 'at least 16 characters, so that receivers can check signatures'),
              format: z.enum(['pdm', 'alertmanager']).optional(),
            })
            .strict(),
          z.object({ type: z.literal('console'), name, path: z.string().min(1).optional() }).strict(),
        ]),
      )
      .min(1, 'at least one receiver'),
    routes: z
      .array(
        z
          .object({
            name: name.optional(),
            receivers: z.array(z.string()).min(1),
            states: z.array(alarmState).min(1).optional(),
            pumps: z
              .string()
              .regex(PUMP_PATTERN, 'a pump id pattern: letters, digits, "_", "-", ".", "*", "?"')
              .optional(),
            send_resolved: z.boolean().optional(),
            ...timingsShape,
          })
          .strict(),
      )
      .optional(),
    inhibit_rules: z
      .array(z.object({ source_state: alarmState, target_state: alarmState }).strict())
      .optional(),
  })
  .strict();

export type ConfigResult =
  | { readonly ok: true; readonly config: NotifierConfig }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Reads and checks a YAML or JSON file (JSON is YAML too). `${NAME}` in a value is taken from `env`. */
export function loadConfigFile(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  defaults: Timings & { readonly groupBy: readonly GroupLabel[] },
): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { ok: false, problems: [`${path}: cannot read it: ${(err as Error).message}`] };
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    return { ok: false, problems: [`${path}: not YAML or JSON: ${(err as Error).message.split('\n')[0]}`] };
  }
  return parseConfig(raw, env, defaults, path);
}

/** Checks a parsed configuration file; `where` prefixes each problem. */
export function parseConfig(
  raw: unknown,
  env: Readonly<Record<string, string | undefined>>,
  defaults: Timings & { readonly groupBy: readonly GroupLabel[] },
  where = 'config',
): ConfigResult {
  const unset: string[] = [];
  const substituted = substituteEnv(raw, env, [], unset);
  const problems = unset.map((p) => `${where}: ${p}`);
  const parsed = fileSchema.safeParse(substituted);
  if (!parsed.success)
    for (const issue of parsed.error.issues)
      problems.push(`${where}: ${pathText(issue.path)}: ${issue.message}`);
  // Names across the file, checked on what could be read even when other parts are wrong.
  const given = substituted as { receivers?: unknown; routes?: unknown };
  const names = (Array.isArray(given.receivers) ? given.receivers : []).map(
    (r) => (r as { name?: unknown })?.name,
  );
  names.forEach((n, i) => {
    if (typeof n === 'string' && names.indexOf(n) !== i)
      problems.push(`${where}: receivers[${i}].name: "${n}" is used twice`);
  });
  (Array.isArray(given.routes) ? given.routes : []).forEach((r: unknown, i) => {
    const wanted = (r as { receivers?: unknown })?.receivers;
    (Array.isArray(wanted) ? wanted : []).forEach((receiver: unknown, j) => {
      if (typeof receiver === 'string' && !names.includes(receiver))
        problems.push(`${where}: routes[${i}].receivers[${j}]: no receiver is named "${receiver}"`);
    });
  });
  const routeNames = (Array.isArray(given.routes) ? given.routes : []).map(
    (r: unknown) => (r as { name?: unknown })?.name,
  );
  routeNames.forEach((n, i) => {
    if (typeof n === 'string' && routeNames.indexOf(n) !== i)
      problems.push(`${where}: routes[${i}].name: "${n}" is used twice`);
  });
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const file = parsed.data;
  const receivers: ReceiverConfig[] = file.receivers.map((r) => {
    if (r.type === 'telegram')
      return {
        type: 'telegram',
        name: r.name,
        botToken: r.bot_token,
        chatIds: r.chat_ids,
        ackChatIds: r.ack_chat_ids ?? [],
        apiUrl: r.api_url ?? DEFAULT_TELEGRAM_API_URL,
      };
    if (r.type === 'webhook')
      return { type: 'webhook', name: r.name, url: r.url, secret: r.secret, format: r.format ?? 'pdm' };
    return { type: 'console', name: r.name, path: r.path };
  });
  const base = {
    groupWaitMs: toMs(file.defaults?.group_wait_s) ?? defaults.groupWaitMs,
    groupIntervalMs: toMs(file.defaults?.group_interval_s) ?? defaults.groupIntervalMs,
    repeatIntervalMs: toMs(file.defaults?.repeat_interval_s) ?? defaults.repeatIntervalMs,
    groupBy: file.defaults?.group_by ?? defaults.groupBy,
  };
  const routes: RouteConfig[] = (file.routes ?? [{ receivers: receivers.map((r) => r.name) }]).map(
    (r, i) => ({
      id: r.name ?? `route-${i}`,
      receivers: r.receivers,
      states: r.states ?? ALARM_NAMES,
      pumps: r.pumps,
      groupBy: r.group_by ?? base.groupBy,
      groupWaitMs: toMs(r.group_wait_s) ?? base.groupWaitMs,
      groupIntervalMs: toMs(r.group_interval_s) ?? base.groupIntervalMs,
      repeatIntervalMs: toMs(r.repeat_interval_s) ?? base.repeatIntervalMs,
      sendResolved: r.send_resolved ?? true,
    }),
  );
  const inhibitRules =
    file.inhibit_rules?.map((r) => ({ source: r.source_state, target: r.target_state })) ??
    DEFAULT_INHIBIT_RULES;
  return { ok: true, config: { receivers, routes, inhibitRules } };
}

export interface SimpleSettings extends Timings {
  readonly groupBy: readonly GroupLabel[];
  readonly telegramBotToken: string | undefined;
  /** comma-separated */
  readonly telegramChatId: string | undefined;
  readonly telegramApiUrl: string;
  readonly webhookUrl: string | undefined;
  readonly webhookSecret: string | undefined;
  readonly webhookFormat: 'pdm' | 'alertmanager';
  /** a console receiver, also when another is configured */
  readonly console: boolean;
}

/**
 * The simple case: a Telegram chat (TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID), a webhook (WEBHOOK_URL), or
 * both, on one route that takes every alarm; the console receiver when asked for or when there is no other.
 */
export function configFromEnv(s: SimpleSettings): ConfigResult {
  const raw: { receivers: Record<string, unknown>[] } = { receivers: [] };
  if (s.telegramBotToken !== undefined || s.telegramChatId !== undefined)
    raw.receivers.push({
      type: 'telegram',
      name: 'telegram',
      bot_token: s.telegramBotToken ?? '',
      chat_ids: (s.telegramChatId ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
      api_url: s.telegramApiUrl,
    });
  // WEBHOOK_SECRET alone adds no webhook: docker compose always sets it, from setup-secrets.
  if (s.webhookUrl !== undefined)
    raw.receivers.push({
      type: 'webhook',
      name: 'webhook',
      url: s.webhookUrl,
      secret: s.webhookSecret,
      format: s.webhookFormat,
    });
  if (s.console || raw.receivers.length === 0) raw.receivers.push({ type: 'console', name: 'console' });
  const result = parseConfig(raw, {}, s, 'environment');
  if (result.ok) return result;
  // Name the variables rather than the file paths the environment was turned into.
  const variables: Record<string, string> = {
    bot_token: 'TELEGRAM_BOT_TOKEN',
    chat_ids: 'TELEGRAM_CHAT_ID',
    api_url: 'TELEGRAM_API_URL',
    url: 'WEBHOOK_URL',
    secret: 'WEBHOOK_SECRET',
  };
  return {
    ok: false,
    problems: result.problems.map((p) => {
      const m = /^environment: receivers\[\d+\]\.(\w+)[^:]*: (.*)$/.exec(p);
      const variable = m ? variables[m[1] as string] : undefined;
      return m && variable ? `${variable}: ${m[2]}` : p;
    }),
  };
}

function toMs(s: number | undefined): number | undefined {
  return s === undefined ? undefined : Math.round(s * 1000);
}

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** `${NAME}` in any string value becomes the variable's value; an unset one is a problem, by place. */
function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path: PropertyKey[],
  problems: string[],
): unknown {
  if (typeof value === 'string')
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, variable: string) => {
      const found = env[variable];
      if (found === undefined || found === '') {
        problems.push(`${pathText(path)}: the environment variable ${variable} is not set`);
        return '';
      }
      return found;
    });
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...path, i], problems));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, [...path, k], problems)]),
    );
  return value;
}
