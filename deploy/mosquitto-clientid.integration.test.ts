/**
 * Who may connect with which MQTT client id on the deployed broker (mosquitto/conf.d/auth.conf). A CONNECT
 * with a client id that is in use takes over that session: with a clean start the broker drops what it has
 * queued for the session, with a resumed one it hands the queue to the newcomer. So each service's client
 * ids belong to that service's broker user, and to no one else.
 */
import { randomBytes } from 'node:crypto';
import { sharedFilter, topics } from '@pdm/contract';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DeployedBroker, startDeployedBroker } from './deployed-broker.ts';
import { MQTT_USERS, type MqttUser } from './secrets.ts';

/** MQTT 5 reason code 0x87 (not authorized), in a refused CONNACK. */
const NOT_AUTHORIZED = 0x87;

type Service = Exclude<MqttUser, 'viewer' | 'healthcheck'>;

/** Client ids each service connects with, from its MQTT_CLIENT_ID default and the connections it opens. */
const OWN_IDS: Record<Service, readonly string[]> = {
  // One connection `acquisition`, or lanes `<MQTT_CLIENT_ID>-<i>` (ACQ_LANES); a second host's replica
  // takes an id of its own under the same name, e.g. `acquisition-b`.
  acquisition: ['acquisition', 'acquisition-0', 'acquisition-31', 'acquisition-b-0'],
  // Replica i subscribes as `inference-<i>` and publishes as `inference-<i>-pub`.
  inference: ['inference', 'inference-0', 'inference-0-pub', 'inference-3', 'inference-3-pub'],
  'production-simulator': ['production-simulator', 'production-simulator-1'],
  'training-simulator': ['training-simulator', 'training-simulator-1'],
  // One connection, `notifier`; a second notifier (another set of receivers) as `notifier-<name>`.
  notifier: ['notifier', 'notifier-oncall'],
};
const SERVICES = Object.keys(OWN_IDS) as Service[];
const USERS = MQTT_USERS.map((u) => u.user);
const PUMP = 'pump-00001';

let deployed: DeployedBroker;
const clients: MqttClient[] = [];

beforeAll(async () => {
  deployed = await startDeployedBroker();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});

afterAll(async () => {
  await deployed?.stop();
});

interface Connected {
  readonly client: MqttClient;
  readonly sessionPresent: boolean;
  /** payloads received, in order, from the first packet after the CONNACK on */
  readonly received: string[];
  /** true once the broker has closed the connection */
  closed(): boolean;
}

/**
 * Connects as `user` with `clientId`; rejects with the CONNACK's reason code when the broker refuses.
 * `persistent` asks for a session that outlives the connection, as the services do; without it the session
 * ends with the connection, as tail-predictions does.
 */
function connect(
  user: MqttUser,
  clientId: string,
  { resume = false, persistent = resume }: { resume?: boolean; persistent?: boolean } = {},
): Promise<Connected> {
  const options: IClientOptions = {
    username: user,
    password: deployed.passwords[user],
    clientId,
    protocolVersion: 5,
    clean: !resume,
    properties: { sessionExpiryInterval: persistent ? 3600 : 0 },
    reconnectPeriod: 0,
  };
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(deployed.broker.url, options);
    clients.push(client);
    // Messages queued for a resumed session can arrive right behind the CONNACK, so listen from the start.
    const received: string[] = [];
    let closed = false;
    client.on('message', (_topic, payload) => received.push(payload.toString()));
    client.on('close', () => {
      closed = true;
    });
    client.once('connect', (connack) =>
      resolve({ client, sessionPresent: connack.sessionPresent, received, closed: () => closed }),
    );
    client.once('error', reject);
  });
}

/** Resolves once `connected` has received `count` messages. */
async function receive(connected: Connected, count: number): Promise<string[]> {
  while (connected.received.length < count) {
    await new Promise((resolve) => connected.client.once('message', resolve));
  }
  return connected.received;
}

const ephemeralId = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

describe('client ids on the deployed broker', () => {
  const own = SERVICES.flatMap((user) => OWN_IDS[user].map((clientId) => ({ user, clientId })));

  it.each(own)('lets $user connect with its own client id $clientId', async ({ user, clientId }) => {
    const { client } = await connect(user, clientId, { persistent: true });
    expect(client.connected).toBe(true);
  });

  it('lets read-only users connect with an ephemeral id, as tail-predictions and the health check do', async () => {
    const viewer = await connect('viewer', ephemeralId('tail-predictions'));
    const otherViewer = await connect('viewer', ephemeralId('laptop'));
    // mosquitto_sub in the compose health check sends no id: the broker makes one up.
    const healthcheck = await connect('healthcheck', '');
    expect([viewer, otherViewer, healthcheck].map((c) => c.client.connected)).toEqual([true, true, true]);
  });

  const hijacks = SERVICES.flatMap((owner) =>
    OWN_IDS[owner].flatMap((clientId) =>
      USERS.filter((user) => user !== owner).map((user) => ({ user, clientId, owner })),
    ),
  );

  it.each(hijacks)(
    'refuses $user the client id $clientId of $owner with CONNACK 0x87',
    async ({ user, clientId }) => {
      await expect(connect(user, clientId)).rejects.toMatchObject({ code: NOT_AUTHORIZED });
      await expect(connect(user, clientId, { resume: true })).rejects.toMatchObject({
        code: NOT_AUTHORIZED,
      });
    },
  );

  it.each(SERVICES)('refuses %s a client id that is not one of its own', async (user) => {
    await expect(connect(user, ephemeralId('tail-predictions'))).rejects.toMatchObject({
      code: NOT_AUTHORIZED,
    });
  });

  it('keeps an offline service’s session and queued messages when other users try its id', async () => {
    // acquisition's lane: a persistent session with its shared subscription, then away.
    const lane = await connect('acquisition', 'acquisition-0', { persistent: true });
    await lane.client.subscribeAsync(sharedFilter('acquisition', 'training'), { qos: 1 });
    await lane.client.endAsync();
    const simulator = await connect('training-simulator', 'training-simulator');
    for (const payload of ['m0', 'm1', 'm2']) {
      await simulator.client.publishAsync(topics.training(PUMP), payload, { qos: 1 });
    }

    // A clean start would drop the queue; a resumed session would take it.
    await expect(connect('training-simulator', 'acquisition-0')).rejects.toMatchObject({
      code: NOT_AUTHORIZED,
    });
    await expect(connect('viewer', 'acquisition-0', { resume: true })).rejects.toMatchObject({
      code: NOT_AUTHORIZED,
    });

    const back = await connect('acquisition', 'acquisition-0', { resume: true });
    expect(back.sessionPresent).toBe(true);
    expect(await receive(back, 3)).toEqual(['m0', 'm1', 'm2']);
  });

  it('leaves an online service connected when another user tries its id', async () => {
    const lane = await connect('inference', 'inference-0', { persistent: true });
    await expect(connect('viewer', 'inference-0')).rejects.toMatchObject({ code: NOT_AUTHORIZED });
    // A takeover closes the old connection before the newcomer's CONNACK: a round trip shows it is still open.
    await Promise.race([
      lane.client.subscribeAsync(topics.telemetry(PUMP), { qos: 1 }),
      new Promise<void>((resolve) => lane.client.once('close', () => resolve())),
    ]);
    expect(lane.closed()).toBe(false);
  });
});
