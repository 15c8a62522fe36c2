/** The MQTT connection owner against a real Mosquitto: pipelined acknowledgements and subscriptions. */
import { type Mosquitto, startMosquitto } from '@pdm/testkit';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt, type MqttConnection } from './mqtt.ts';

const logger = pino({ level: 'silent' });
let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto({ persistence: true });
});
afterAll(async () => {
  await broker?.stop();
});

async function subscribed(connection: MqttConnection): Promise<void> {
  while (connection.subscriptionProblem === 'subscribing') await new Promise((r) => setTimeout(r, 10));
  expect(connection.subscriptionProblem).toBeUndefined();
}

async function publishAll(topic: string, count: number): Promise<void> {
  const publisher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  await Promise.all(
    Array.from({ length: count }, (_, i) => publisher.publishAsync(topic, String(i), { qos: 1 })),
  );
  await publisher.endAsync();
}

/** Messages the broker still holds for a client id: connect as it, count, leave without acknowledging. */
async function heldFor(clientId: string, filter: string, settleMs = 500): Promise<string[]> {
  const received: string[] = [];
  const probe = mqtt.connect(broker.url, {
    clientId,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
  });
  // Set before the CONNACK: the broker resends what it holds right behind it.
  probe.handleMessage = (packet, done) => {
    received.push(String(packet.payload));
    done(new Error('left unacknowledged on purpose'));
  };
  await new Promise((resolve) => probe.once('connect', resolve));
  await probe.subscribeAsync(filter, { qos: 1 });
  await new Promise((r) => setTimeout(r, settleMs));
  await probe.endAsync(true);
  return received;
}

describe('connectMqtt against a real Mosquitto', () => {
  it('hands messages over without waiting and acknowledges each only when its handler resolves', async () => {
    const resolvers: Array<() => void> = [];
    const connection = await connectMqtt({
      url: broker.url,
      clientId: 'ack-pipelined',
      service: 'test',
      status: false,
      logger,
      subscriptions: ['ack/pipelined'],
      onMessage: () => new Promise<void>((resolve) => resolvers.push(resolve)),
    });
    await subscribed(connection);
    await publishAll('ack/pipelined', 50);
    // All 50 are in our hands at once: none waited for the one before it.
    while (resolvers.length < 50) await new Promise((r) => setTimeout(r, 10));
    expect(connection.unacked).toBe(50);
    // Resolve the first 20 only, then drop the connection: the other 30 must come back.
    for (const resolve of resolvers.slice(0, 20)) resolve();
    while (connection.unacked > 30) await new Promise((r) => setTimeout(r, 10));
    // A graceful end: a forced one may drop PUBACKs still in the socket's buffer.
    await connection.client.endAsync();
    const redelivered = await heldFor('ack-pipelined', 'ack/pipelined');
    expect(redelivered.sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 30 }, (_, i) => String(20 + i)),
    );
  });

  it('leaves a message whose handler rejects for redelivery, and acknowledges the rest', async () => {
    let handled = 0;
    const connection = await connectMqtt({
      url: broker.url,
      clientId: 'ack-reject',
      service: 'test',
      status: false,
      logger,
      subscriptions: ['ack/reject'],
      onMessage: (_topic, payload) => {
        handled += 1;
        return payload.toString() === '3' ? Promise.reject(new Error('disk full')) : Promise.resolve();
      },
    });
    await subscribed(connection);
    await publishAll('ack/reject', 6);
    while (handled < 6) await new Promise((r) => setTimeout(r, 10));
    while (connection.unacked > 0) await new Promise((r) => setTimeout(r, 10));
    // A graceful end: a forced one may drop PUBACKs still in the socket's buffer.
    await connection.client.endAsync();
    expect(await heldFor('ack-reject', 'ack/reject')).toEqual(['3']);
  });

  it('holds reads back once maxUnacked messages wait, and takes the rest as they are acknowledged', async () => {
    const resolvers: Array<() => void> = [];
    const connection = await connectMqtt({
      url: broker.url,
      clientId: 'ack-window',
      service: 'test',
      status: false,
      logger,
      maxUnacked: 10,
      subscriptions: ['ack/window'],
      onMessage: () => new Promise<void>((resolve) => resolvers.push(resolve)),
    });
    await subscribed(connection);
    await publishAll('ack/window', 25);
    while (resolvers.length < 10) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    expect(resolvers).toHaveLength(10);
    let handled = 0;
    while (handled < 25) {
      const next = resolvers[handled];
      if (next) {
        next();
        handled += 1;
      } else await new Promise((r) => setTimeout(r, 10));
    }
    while (connection.unacked > 0) await new Promise((r) => setTimeout(r, 10));
    await connection.close();
    expect(await heldFor('ack-window', 'ack/window', 300)).toEqual([]);
  });

  it('subscribes on every connect, so a broker restart cannot leave a shared subscription behind', async () => {
    const received: string[] = [];
    const connection = await connectMqtt({
      url: broker.url,
      clientId: 'shared-after-restart',
      service: 'test',
      status: false,
      logger,
      subscriptions: ['$share/g/shared/after'],
      onMessage: (_topic, payload) => {
        received.push(payload.toString());
      },
    });
    try {
      await broker.restart();
      const resubscribed = new Promise<void>((resolve) =>
        connection.client.once('packetreceive', function check(packet) {
          if (packet.cmd === 'suback') resolve();
          else connection.client.once('packetreceive', check);
        }),
      );
      await resubscribed;
      await publishAll('shared/after', 5);
      while (received.length < 5) await new Promise((r) => setTimeout(r, 10));
      expect(received.sort()).toEqual(['0', '1', '2', '3', '4']);
    } finally {
      await connection.close();
    }
  });

  it('reports a subscription granted with QoS 0 as a problem: nothing would be held for us', async () => {
    const capped = await startMosquitto({ config: ['max_qos 0'] });
    try {
      const connection = await connectMqtt({
        url: capped.url,
        clientId: 'capped',
        service: 'test',
        status: false,
        logger,
        subscriptions: ['capped/+'],
        onMessage: () => {},
      });
      while (connection.subscriptionProblem === 'subscribing') await new Promise((r) => setTimeout(r, 10));
      expect(connection.subscriptionProblem).toContain('capped/+ granted only QoS 0');
      await connection.close();
    } finally {
      await capped.stop();
    }
  });

  it('connects a viewer under a random id on a session that ends with it, publishing no status', async () => {
    const statuses: string[] = [];
    const watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    watcher.on('message', (topic) => statuses.push(topic));
    await watcher.subscribeAsync('pdm/v1/status/#', { qos: 1 });
    const received: string[] = [];
    const connection = await connectMqtt({
      url: broker.url,
      clientId: 'viewer',
      service: 'viewer-test',
      session: 'ephemeral',
      logger,
      subscriptions: ['ephemeral/view'],
      onMessage: (_topic, payload) => {
        received.push(payload.toString());
      },
    });
    expect(connection.clientId).toMatch(/^viewer-[0-9a-f]{8}$/);
    await subscribed(connection);
    await publishAll('ephemeral/view', 3);
    while (received.length < 3) await new Promise((r) => setTimeout(r, 10));
    await connection.close();
    // A persistent session would keep the subscription and queue these for the viewer's return.
    await publishAll('ephemeral/view', 5);
    expect(await heldFor(connection.clientId, 'ephemeral/view')).toEqual([]);
    await watcher.endAsync();
    expect(statuses.filter((t) => t.includes('viewer-test'))).toEqual([]);
  });

  it('closes within seconds when the broker is hung: it accepts nothing and answers nothing', async () => {
    const hung = await startMosquitto();
    const connection = await connectMqtt({
      url: hung.url,
      clientId: 'hung-close',
      service: 'hung-test',
      logger,
    });
    hung.pause();
    try {
      // The offline status publish and the disconnect both wait on a broker that never answers.
      await connection.close();
      expect(connection.client.stream.destroyed).toBe(true);
    } finally {
      hung.resume();
      await hung.stop();
    }
  });
});
