/**
 * Broker restarts, with a real Mosquitto that keeps its state on disk (persistence true), as deployed.
 * The notifier keeps a persistent session, so alerts published while it is reconnecting wait for it in
 * the broker; the webhook receiver checks every signature.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningService, startMosquitto, startService, startWebhookReceiver } from '@pdm/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { publishAlarms } from './testing/alerts.ts';
import { until } from './testing/harness.ts';

const SECRET = 'broker-restart-webhook-secret';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Resolves when the service has logged `pattern` at least `times` times. */
async function loggedTimes(service: RunningService, pattern: RegExp, times: number): Promise<void> {
  await service.whileRunning(
    until(
      () =>
        service
          .stdout()
          .split('\n')
          .filter((line) => pattern.test(line)).length >= times,
      60_000,
    ),
  );
}

describe('the notifier across broker restarts (real Mosquitto with persistence, a local webhook receiver)', () => {
  it('delivers alarms published before, during and after a restart, each once', async () => {
    const broker = await startMosquitto({ persistence: true });
    cleanups.push(() => broker.stop());
    const webhook = await startWebhookReceiver({ secret: SECRET });
    cleanups.push(() => webhook.close());
    const cwd = mkdtempSync(join(tmpdir(), 'pdm-notifier-restart-'));
    cleanups.push(async () => rmSync(cwd, { recursive: true, force: true }));
    const notifier = startService(
      'notifier',
      [],
      {
        MQTT_URL: broker.url,
        WEBHOOK_URL: webhook.url,
        WEBHOOK_SECRET: SECRET,
        GROUP_WAIT_S: '0.2',
        GROUP_INTERVAL_S: '0.5',
        GROUP_BY: 'pump',
        HTTP_PORT: '0',
      },
      { cwd },
    );
    cleanups.push(async () => {
      if (notifier.child.exitCode === null) notifier.signal('SIGKILL');
      await notifier.exited;
    });
    const deliveredPumps = () =>
      webhook.deliveries.flatMap((d) => (d.body.firing as { pump_id: string }[]).map((a) => a.pump_id));

    await loggedTimes(notifier, /"msg":"subscribed"/, 1);
    await publishAlarms(broker.url, 0, 10);
    await notifier.whileRunning(until(() => new Set(deliveredPumps()).size === 10, 60_000));

    await broker.restart();
    // Published at once, while the notifier is still in its reconnect backoff: the broker holds them for
    // the notifier's persistent session.
    await publishAlarms(broker.url, 10, 20);
    await loggedTimes(notifier, /"msg":"subscribed"/, 2);
    await publishAlarms(broker.url, 20, 30);
    await notifier.whileRunning(until(() => new Set(deliveredPumps()).size === 30, 60_000));

    notifier.signal('SIGTERM');
    expect(await notifier.exited).toBe(0);
    const pumps = deliveredPumps();
    expect(new Set(pumps).size).toBe(30);
    expect(pumps).toHaveLength(30);
    expect(webhook.refused).toEqual([]);
  });
});
