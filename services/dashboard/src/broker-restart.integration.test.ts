/**
 * Broker restarts, with a real Mosquitto. The dashboard is an ephemeral viewer: what was published while
 * it was away is not replayed to it (the store fills the history in), but once the broker is back it must
 * subscribe again and show the fleet live, and its pages must keep answering while the broker is down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Prediction, topics } from '@pdm/contract';
import { type Mosquitto, type RunningService, startMosquitto, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetResponse } from './api/contract.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function prediction(pumpId: string, seq: number): Prediction {
  return {
    pump_id: pumpId,
    ts: Date.now(),
    seq,
    state: 'FAULTY',
    raw_state: 'FAULTY',
    probabilities: { HEALTHY: 0.1, FAULTY: 0.9 },
    vibration_rms: 6.2,
    iso_zone: 'C',
    model_version: 'test#00000000',
    latency_ms: 1,
  };
}

async function publish(broker: Mosquitto, p: Prediction): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clean: true });
  await client.publishAsync(topics.predictions(p.pump_id), JSON.stringify(p), { qos: 1 });
  await client.endAsync();
}

async function until(condition: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within 60 s: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the dashboard across broker restarts (real Mosquitto)', () => {
  it('keeps answering while the broker is down, subscribes again when it is back, and shows new predictions', async () => {
    const broker = await startMosquitto({ persistence: true });
    cleanups.push(() => broker.stop());
    const cwd = mkdtempSync(join(tmpdir(), 'pdm-dashboard-restart-'));
    cleanups.push(async () => rmSync(cwd, { recursive: true, force: true }));
    const dashboard: RunningService = startService(
      'dashboard',
      ['--http-port', '0'],
      { MQTT_URL: broker.url, SQLITE_PATH: join(cwd, 'pdm.sqlite') },
      { cwd },
    );
    cleanups.push(async () => {
      if (dashboard.child.exitCode === null) dashboard.signal('SIGKILL');
      await dashboard.exited;
    });
    const listening = await dashboard.waitForLine(/"dashboard listening"/, 60_000);
    const url = (JSON.parse(listening) as { url: string }).url;
    const fleetIds = async () =>
      ((await (await fetch(new URL('/api/fleet', url))).json()) as FleetResponse).pumps.map((p) => p.id);
    const subscribedTimes = () =>
      dashboard
        .stdout()
        .split('\n')
        .filter((l) => /"subscribed"/.test(l)).length;

    await dashboard.waitForLine(/"subscribed"/);
    await publish(broker, prediction('pump-before', 1));
    await dashboard.whileRunning(
      until(async () => (await fleetIds()).includes('pump-before'), 'pump-before'),
    );

    // Down for a while: the page's API keeps serving what the dashboard knows.
    broker.pause();
    expect(await dashboard.whileRunning(fleetIds())).toEqual(['pump-before']);
    broker.resume();
    await broker.restart();

    await dashboard.whileRunning(until(() => subscribedTimes() >= 2, 'a second "subscribed" line'));
    await publish(broker, prediction('pump-after', 1));
    await dashboard.whileRunning(until(async () => (await fleetIds()).includes('pump-after'), 'pump-after'));
    expect((await fleetIds()).sort()).toEqual(['pump-after', 'pump-before']);

    dashboard.signal('SIGTERM');
    expect(await dashboard.exited).toBe(0);
  });
});
