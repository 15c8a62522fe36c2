import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv, DEFAULT_TIMINGS, loadConfigFile, type SimpleSettings } from './config.ts';

const defaults = { ...DEFAULT_TIMINGS, groupBy: ['state'] as const };
const TOKEN = '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function file(text: string, name = 'notifier.yaml'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'pdm-notifier-config-')), name);
  writeFileSync(path, text);
  return path;
}

describe('the configuration file', () => {
  it('sends BROKEN to the on-call chat and everything to a webhook, with secrets from the environment', () => {
    const path = file(`
defaults:
  group_wait_s: 10
receivers:
  - { name: on-call, type: telegram, bot_token: "\${BOT}", chat_ids: [-1001234567890] }
  - { name: ops, type: webhook, url: "https://n8n.example/hook", secret: "\${HOOK_SECRET}", format: alertmanager }
routes:
  - { name: broken-to-on-call, receivers: [on-call], states: [BROKEN], repeat_interval_s: 3600 }
  - { receivers: [ops], group_by: [pump_id] }
  - { name: planners, receivers: [ops], states: [RUL_LOW] }
`);
    const result = loadConfigFile(path, { BOT: TOKEN, HOOK_SECRET: 'a-long-enough-secret' }, defaults);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.receivers[0]).toMatchObject({
      type: 'telegram',
      botToken: TOKEN,
      chatIds: ['-1001234567890'],
    });
    expect(result.config.routes).toEqual([
      expect.objectContaining({
        id: 'broken-to-on-call',
        states: ['BROKEN'],
        groupWaitMs: 10_000,
        repeatIntervalMs: 3_600_000,
      }),
      expect.objectContaining({
        id: 'route-1',
        // every alarm: the states' and a low remaining useful life
        states: ['RUL_LOW', 'FAULTY', 'BROKEN'],
        groupBy: ['pump_id'],
        groupWaitMs: 10_000,
      }),
      expect.objectContaining({ id: 'planners', states: ['RUL_LOW'] }),
    ]);
    expect(result.config.inhibitRules).toEqual([
      { source: 'BROKEN', target: 'FAULTY' },
      { source: 'BROKEN', target: 'RUL_LOW' },
    ]);
  });

  it('reads JSON as well', () => {
    const path = file(JSON.stringify({ receivers: [{ name: 'log', type: 'console' }] }), 'notifier.json');
    const result = loadConfigFile(path, {}, defaults);
    expect(result.ok && result.config.routes[0]?.receivers).toEqual(['log']);
  });

  it('lists every problem at once, each by its place in the file', () => {
    const path = file(`
receivers:
  - { name: chat, type: telegram, bot_token: nonsense, chat_ids: [] }
  - { name: hook, type: webhook, url: "ftp://x", secret: short }
  - { name: hook2, type: webhook, url: "https://x.example", secret: "\${UNSET_SECRET}" }
  - { name: chat, type: console, colour: red }
routes:
  - { receivers: [chat, pager], states: [WARNING] }
`);
    const result = loadConfigFile(path, {}, defaults);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    for (const expected of [
      'receivers[0].bot_token',
      'receivers[0].chat_ids',
      'receivers[1].url',
      'receivers[1].secret',
      'receivers[2].secret: the environment variable UNSET_SECRET is not set',
      'receivers[3]',
      'routes[0].states[0]',
      'receivers[3].name: "chat" is used twice',
      'routes[0].receivers[1]: no receiver is named "pager"',
    ])
      expect(problems.join('\n')).toContain(expected);
    expect(problems.every((p) => p.startsWith(path))).toBe(true);
  });

  it('names a route’s unknown receiver and a receiver name used twice', () => {
    const path = file(`
receivers:
  - { name: log, type: console }
  - { name: log, type: console }
routes:
  - { receivers: [pager] }
`);
    const result = loadConfigFile(path, {}, defaults);
    expect(result.ok ? [] : result.problems).toEqual([
      `${path}: receivers[1].name: "log" is used twice`,
      `${path}: routes[0].receivers[0]: no receiver is named "pager"`,
    ]);
  });

  it('says so when the file is missing or not YAML', () => {
    expect(loadConfigFile('/nonexistent/notifier.yaml', {}, defaults)).toMatchObject({ ok: false });
    const result = loadConfigFile(file('receivers: [unclosed'), {}, defaults);
    expect(result.ok ? [] : result.problems[0]).toMatch(/not YAML or JSON/);
  });
});

describe('the environment, for the simple case', () => {
  const env: SimpleSettings = {
    ...defaults,
    telegramBotToken: undefined,
    telegramChatId: undefined,
    telegramApiUrl: 'https://api.telegram.org',
    webhookUrl: undefined,
    webhookSecret: undefined,
    webhookFormat: 'pdm',
    console: false,
  };

  it('makes a Telegram receiver of TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID, one route for everything', () => {
    const result = configFromEnv({ ...env, telegramBotToken: TOKEN, telegramChatId: '-100123, 456' });
    expect(result.ok && result.config.receivers).toEqual([
      {
        type: 'telegram',
        name: 'telegram',
        botToken: TOKEN,
        chatIds: ['-100123', '456'],
        ackChatIds: [],
        apiUrl: 'https://api.telegram.org',
      },
    ]);
    expect(result.ok && result.config.routes.map((r) => r.receivers)).toEqual([['telegram']]);
  });

  it('falls back to the console when no receiver is configured', () => {
    const result = configFromEnv(env);
    expect(result.ok && result.config.receivers.map((r) => r.type)).toEqual(['console']);
  });

  it('names the variables that are wrong', () => {
    const result = configFromEnv({ ...env, telegramBotToken: TOKEN, webhookUrl: 'https://x.example/hook' });
    expect(result.ok ? [] : result.problems).toEqual([
      'TELEGRAM_CHAT_ID: at least one chat id',
      expect.stringMatching(/^WEBHOOK_SECRET: /),
    ]);
  });
});
