import { freePort, type Mosquitto, startMosquitto, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alert, prediction } from './testing/fixtures.ts';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

/** Publishes in order with QoS 1; one client, so the broker delivers in the same order. */
async function publish(messages: readonly [topic: string, payload: object | string][]): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, { clientId: `tail-it-pub-${process.pid}` });
  try {
    for (const [topic, payload] of messages)
      await client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), {
        qos: 1,
      });
  } finally {
    await client.endAsync();
  }
}

/** Whether the broker kept a session for this client id after it disconnected. */
async function sessionLeftBehind(clientId: string): Promise<boolean> {
  const client = mqtt.connect(broker.url, {
    clientId,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 0 },
    reconnectPeriod: 0,
  });
  try {
    return await new Promise<boolean>((resolve, reject) => {
      client.once('connect', (connack) => resolve(connack.sessionPresent));
      client.once('error', reject);
    });
  } finally {
    await client.endAsync();
  }
}

const stdoutLines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('tail-predictions --source mqtt against a real Mosquitto', () => {
  it('shows live predictions and a highlighted alert line, reporting a malformed message and going on', async () => {
    const viewer = startService('tail-predictions', ['--source', 'mqtt'], { MQTT_URL: broker.url });
    await viewer.waitForLine(/"subscribed"/);
    await publish([
      ['pdm/v1/predictions/pump-00001', prediction({ pump_id: 'pump-00001' })],
      ['pdm/v1/predictions/pump-00002', '{"pump_id":"pump-00002"'],
      ['pdm/v1/predictions/pump-00042', prediction({ state: 'FAULTY', raw_state: 'FAULTY' })],
      ['pdm/v1/alerts/pump-00042', alert()],
      ['pdm/v1/predictions/pump-00043', prediction({ pump_id: 'pump-00043', state: 'WARNING' })],
    ]);
    await viewer.waitForLine(/pump-00043/);
    viewer.signal('SIGTERM');
    expect(await viewer.exited).toBe(0);

    expect(stdoutLines(viewer.stdout())).toEqual([
      '10:20:30.123  pump-00001  HEALTHY               p=0.91     1.84 mm/s A     3.3 ms  1a2b3c4d',
      '10:20:30.123  pump-00042  FAULTY                p=0.91     1.84 mm/s A     3.3 ms  1a2b3c4d',
      '10:20:31.000  pump-00042  ALARM      WARNING → FAULTY   p=0.82     7.30 mm/s D    71.2 °C  1a2b3c4d',
      '10:20:30.123  pump-00043  WARNING  raw HEALTHY  p=0.91     1.84 mm/s A     3.3 ms  1a2b3c4d',
    ]);
    const skipped = viewer.logs().filter((l) => l.msg === 'skipped an invalid row');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ topic: 'pdm/v1/predictions/pump-00002', reason: 'truncated' });
    const connected = viewer.logs().find((l) => l.msg === 'connected to MQTT broker');
    expect(connected?.clientId).toMatch(/^tail-predictions-[0-9a-f]{8}$/);
    expect(await sessionLeftBehind(connected?.clientId as string)).toBe(false);
  });

  it('passes only the matching alerts through unchanged with --alerts-only --json', async () => {
    const viewer = startService(
      'tail-predictions',
      ['--source', 'mqtt', '--alerts-only', '--json', '--pump', 'pump-00042'],
      { MQTT_URL: broker.url },
    );
    await viewer.waitForLine(/"subscribed"/);
    const wanted = JSON.stringify(alert({ kind: 'recovered', state: 'HEALTHY', previous_state: 'FAULTY' }));
    await publish([
      ['pdm/v1/predictions/pump-00042', prediction()],
      ['pdm/v1/alerts/pump-00007', alert({ pump_id: 'pump-00007' })],
      ['pdm/v1/alerts/pump-00042', wanted],
    ]);
    await viewer.waitForLine(/"kind":"recovered"/);
    viewer.signal('SIGINT');
    expect(await viewer.exited).toBe(0);
    expect(viewer.stdout()).toBe(`${wanted}\n`);
  });

  it('says when the broker is unreachable, keeps trying, and stops cleanly on Ctrl-C', async () => {
    const closedPort = await freePort();
    const viewer = startService('tail-predictions', ['--source', 'mqtt'], {
      MQTT_URL: `mqtt://127.0.0.1:${closedPort}`,
    });
    await viewer.waitForLine(/MQTT broker unreachable, retrying/);
    viewer.signal('SIGINT');
    expect(await viewer.exited).toBe(0);
    expect(viewer.logs().filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});
