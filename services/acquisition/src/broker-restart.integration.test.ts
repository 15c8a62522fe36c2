/**
 * Broker restarts, with a real Mosquitto that keeps its state on disk (persistence true), as deployed.
 * Mosquitto 2.0 restores a persistent session across its restart but not the session's shared
 * subscriptions, and answers "session present" all the same.
 */
import { topicFilter } from '@pdm/contract';
import { SampleStore } from '@pdm/store';
import { type Mosquitto, type RunningService, startMosquitto, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { storePath, trainingRun, waitForRows } from './testing/acquisition-run.ts';

const running: RunningService[] = [];
const brokers: Mosquitto[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    s.signal('SIGKILL');
    await s.exited;
  }
  for (const b of brokers.splice(0)) await b.stop();
});

async function persistentBroker(config: string[] = []): Promise<Mosquitto> {
  const broker = await startMosquitto({ persistence: true, config });
  brokers.push(broker);
  return broker;
}

function acquisition(broker: Mosquitto, env: Record<string, string> = {}): RunningService {
  const service = startService('acquisition', ['--http-port', '0', '--durability', 'normal'], {
    MQTT_URL: broker.url,
    MQTT_CLIENT_ID: 'acq-restart',
    ...env,
  });
  running.push(service);
  return service;
}

function storedKeys(service: RunningService): Set<string> {
  const store = SampleStore.open(storePath(service), { readonly: true });
  const keys = new Set([...store.iterate()].map((s) => `${s.pump_id}#${s.ts}`));
  store.close();
  return keys;
}

async function health(service: RunningService): Promise<{ status: number; body: string }> {
  const line = await service.waitForLine(/serving \/healthz and \/metrics/);
  const port = (JSON.parse(line) as { port: number }).port;
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: await res.text() };
}

/** Resolves when the service has logged `pattern` at least `times` times. */
async function waitForCount(service: RunningService, pattern: RegExp, times: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const hits = `${service.stdout()}\n${service.stderr()}`.split('\n').filter((l) => pattern.test(l));
    if (hits.length >= times) return;
    if (service.child.exitCode !== null) throw new Error(`exited:\n${service.stdout().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`fewer than ${times} lines matching ${pattern}:\n${service.stdout().slice(-3000)}`);
}

describe('acquisition across broker restarts (real Mosquitto with persistence)', () => {
  it('stores what is published while the broker restarts and acquisition has not reconnected yet', async () => {
    const broker = await persistentBroker();
    const acq = acquisition(broker);
    await acq.waitForLine(/"subscribed"/);
    const before = await trainingRun(
      broker.url,
      ['--pumps', '3', '--weibull-eta', '2', '--seed', '1'],
      'sim-a',
    );
    expect(await waitForRows(storePath(acq), before, acq, 60_000)).toBe(before);

    await broker.restart();
    // The simulator connects at once; acquisition is still in its reconnect backoff, so the
    // broker must hold these for its session.
    const after = await trainingRun(
      broker.url,
      ['--pumps', '5', '--weibull-eta', '2', '--seed', '2'],
      'sim-b',
    );
    expect(await waitForRows(storePath(acq), before + after, acq, 60_000)).toBe(before + after);
  });

  it('subscribes again after a restart when it uses a shared subscription, and says so in /healthz', async () => {
    const broker = await persistentBroker();
    const acq = acquisition(broker, { MQTT_SHARE_GROUP: 'g', ACQ_LANES: '2' });
    await acq.waitForLine(/"subscribed"/);
    await broker.restart();
    await waitForCount(acq, /"subscribed"/, 2);
    const published = await trainingRun(
      broker.url,
      ['--pumps', '5', '--weibull-eta', '2', '--seed', '3'],
      'sim-c',
    );
    expect(await waitForRows(storePath(acq), published, acq, 60_000)).toBe(published);
    expect((await health(acq)).status).toBe(200);
  });

  it('loses nothing over repeated broker restarts under load, checked against a witness subscriber', async () => {
    const broker = await persistentBroker();
    const acq = acquisition(broker);
    await acq.waitForLine(/"subscribed"/);
    // A second persistent subscriber: what it received, the broker had accepted.
    const witnessKeys = new Set<string>();
    const witness = await mqtt.connectAsync(broker.url, {
      clientId: 'witness',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 200,
    });
    witness.on('message', (_topic, payload) => {
      const m = JSON.parse(payload.toString()) as { pump_id: string; ts: number };
      witnessKeys.add(`${m.pump_id}#${m.ts}`);
    });
    await witness.subscribeAsync(topicFilter('training'), { qos: 1 });
    try {
      const sim = startService(
        'training-simulator',
        ['--pumps', '20', '--seed', '4', '--max-in-flight', '200'],
        { MQTT_URL: broker.url, MQTT_CLIENT_ID: 'sim-load' },
      );
      running.push(sim);
      for (const after of [15_000, 45_000]) {
        while (witnessKeys.size < after && sim.child.exitCode === null)
          await new Promise((r) => setTimeout(r, 20));
        await broker.restart();
      }
      expect(await sim.exited).toBe(0);
      const summary = sim.logs().find((l) => l.msg === 'training run complete') as {
        samples: number;
        acknowledged: number;
      };
      expect(summary.acknowledged).toBe(summary.samples);
      expect(await waitForRows(storePath(acq), summary.samples, acq, 60_000)).toBe(summary.samples);
      const stored = storedKeys(acq);
      const missing = [...witnessKeys].filter((k) => !stored.has(k));
      expect(missing).toEqual([]);
    } finally {
      await witness.endAsync(true);
    }
  });
});
