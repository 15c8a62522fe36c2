/**
 * The notifier as a user runs it, a real process against a real Mosquitto: kill -9 in the middle of a
 * delivery, a bad configuration file, `--test`, and the `pnpm silence` CLI. The webhook receiver checks
 * every signature; Telegram is the local fake of the Bot API.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Mosquitto,
  startFakeTelegram,
  startMosquitto,
  startService,
  startWebhookReceiver,
} from '@pdm/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishAlarms } from './testing/alerts.ts';
import { until } from './testing/harness.ts';

const SECRET = 'process-test-webhook-secret';
const TOKEN = '654321:PROCESS-TEST-token-abcdefghijklmn';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

describe('a crash', () => {
  it('loses nothing to kill -9 during a delivery; only the message in flight goes out twice, with the same idempotency key', async () => {
    const webhook = await startWebhookReceiver({ secret: SECRET });
    const cwd = mkdtempSync(join(tmpdir(), 'pdm-notifier-crash-'));
    const env = {
      MQTT_URL: broker.url,
      WEBHOOK_URL: webhook.url,
      WEBHOOK_SECRET: SECRET,
      GROUP_WAIT_S: '0.2',
      GROUP_INTERVAL_S: '0.5',
      GROUP_BY: 'pump',
      HTTP_PORT: '0',
    };
    try {
      // The receiver takes the first request and never answers it: a delivery in flight.
      webhook.hold();
      const first = startService('notifier', [], env, { cwd });
      await first.waitForLine(/"msg":"subscribed"/);
      await publishAlarms(broker.url, 0, 20);
      const [inFlight] = await first.whileRunning(webhook.waitForDeliveries(1));
      first.child.kill('SIGKILL');
      expect(await first.exited).toBe('SIGKILL');

      // While it is down the broker keeps what comes for its session.
      await publishAlarms(broker.url, 20, 40);
      webhook.release();
      const second = startService('notifier', [], env, { cwd });
      const pumps = () =>
        new Set(
          webhook.deliveries.flatMap((d) => (d.body.firing as { pump_id: string }[]).map((a) => a.pump_id)),
        );
      await second.whileRunning(until(() => pumps().size === 40, 60_000));
      second.signal('SIGTERM');
      expect(await second.exited).toBe(0);

      const counts = new Map<string, number>();
      for (const d of webhook.deliveries)
        counts.set(d.idempotencyKey ?? '', (counts.get(d.idempotencyKey ?? '') ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n > 1).map(([key]) => key);
      expect(twice).toEqual([inFlight?.idempotencyKey]);
      expect(webhook.deliveries).toHaveLength(41);
      expect(webhook.refused).toEqual([]);
    } finally {
      await webhook.close();
    }
  });
});

describe('configuration', () => {
  it('stops at start with every problem of a bad configuration file listed', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pdm-notifier-config-'));
    writeFileSync(
      join(cwd, 'notifier.yaml'),
      [
        'receivers:',
        '  - { name: chat, type: telegram, bot_token: nonsense, chat_ids: [] }',
        '  - { name: hook, type: webhook, url: "ftp://x", secret: short }',
        'routes:',
        '  - { receivers: [chat, pager], states: [WARNING] }',
      ].join('\n'),
    );
    const service = startService(
      'notifier',
      ['--config', 'notifier.yaml'],
      { MQTT_URL: broker.url },
      { cwd },
    );
    expect(await service.exited).toBe(2);
    const stderr = service.stderr();
    for (const problem of [
      'notifier.yaml: receivers[0].bot_token: a bot token as BotFather gives it',
      'notifier.yaml: receivers[0].chat_ids: at least one chat id',
      'notifier.yaml: receivers[1].url: expected an http:// or https:// URL',
      'notifier.yaml: receivers[1].secret: at least 16 characters',
      'notifier.yaml: routes[0].states[0]',
      'notifier.yaml: routes[0].receivers[1]: no receiver is named "pager"',
    ])
      expect(stderr).toContain(problem);
  });

  it('sends one test message through every receiver with --test and exits 0 (fake Bot API)', async () => {
    const telegram = await startFakeTelegram({ token: TOKEN });
    const webhook = await startWebhookReceiver({ secret: SECRET });
    try {
      const env = {
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_CHAT_ID: '-1001,-1002',
        TELEGRAM_API_URL: telegram.url,
        WEBHOOK_URL: webhook.url,
        WEBHOOK_SECRET: SECRET,
      };
      const ok = startService('notifier', ['--test'], env);
      expect(await ok.exited).toBe(0);
      expect(ok.stdout()).toContain(
        'ok     telegram → chat -1001\nok     telegram → chat -1002\nok     webhook',
      );
      expect(telegram.messages.map((m) => m.chatId)).toEqual(['-1001', '-1002']);
      expect(telegram.messages[0]?.visibleText).toMatch(/^🧪 pump-pdm notifier: test message/);
      expect(webhook.deliveries.map((d) => d.body.kind)).toEqual(['test']);

      const wrongToken = startService('notifier', ['--test'], {
        ...env,
        TELEGRAM_BOT_TOKEN: '654321:WRONG-token-abcdefghijklmnopq',
      });
      expect(await wrongToken.exited).toBe(1);
      expect(wrongToken.stdout()).toContain('FAILED telegram → chat -1001: refused: 401 Unauthorized');
    } finally {
      await telegram.close();
      await webhook.close();
    }
  });
});

describe('pnpm silence', () => {
  it('adds, lists and expires silences in the notifier’s file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pdm-notifier-silence-'));
    const run = async (...args: string[]) => {
      const cli = startService('services/notifier/src/silence-main.ts', args, {}, { cwd });
      return { code: await cli.exited, out: cli.stdout(), err: cli.stderr() };
    };
    const added = await run(
      'add',
      '--pattern',
      'pump-000*',
      '--duration',
      '4h',
      '--comment',
      'bearing swap',
      '--by',
      'alice',
    );
    expect(added.code).toBe(0);
    expect(added.out).toMatch(/^ {3}1 {2}pump-000\* +until \S+ {2}active {3}by alice: bearing swap\n$/);
    expect((await run('expire', '1')).out).toBe('silence 1 expired\n');
    const listed = JSON.parse((await run('list', '--all', '--json')).out) as {
      pattern: string;
      active: boolean;
    }[];
    expect(listed).toMatchObject([{ pattern: 'pump-000*', active: false }]);
    const bad = await run('add', '--pattern', 'pump/#');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--comment: required with add');
  });
});
