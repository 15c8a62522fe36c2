/**
 * The deployed broker's authentication and ACL (mosquitto/conf.d/auth.conf, mosquitto/acl) on a real
 * Mosquitto, with the password file and passwords that setup-secrets writes.
 */
import { sharedFilter, TOPIC_KINDS, type TopicKind, topicFilter, topics } from '@pdm/contract';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DeployedBroker, startDeployedBroker } from './deployed-broker.ts';
import { MQTT_USERS, type MqttUser } from './secrets.ts';

/** MQTT 5 reason code 0x87, in a refused CONNACK or PUBACK. */
const NOT_AUTHORIZED = 0x87;
const PUMP = 'pump-00001';
const GATEWAY = 'pump-gw-00001';

/** What each user may publish besides its own status topic: the service lists of the deployment brief. */
const WRITES: Record<MqttUser, readonly TopicKind[]> = {
  acquisition: [],
  inference: ['predictions', 'alerts'],
  'production-simulator': ['telemetry', 'gateway_telemetry', 'groundtruth', 'gateway_groundtruth'],
  'training-simulator': ['training'],
  notifier: ['acks'],
  viewer: [],
  healthcheck: [],
};
/** Users that are services, and so publish a retained status under their own name. */
const SERVICES: readonly MqttUser[] = [
  'acquisition',
  'inference',
  'production-simulator',
  'training-simulator',
  'notifier',
];

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

function connect(username?: string, password?: string): Promise<MqttClient> {
  return mqtt
    .connectAsync(deployed.broker.url, {
      username,
      password,
      clientId: `${username ?? 'anonymous'}-${Math.random().toString(36).slice(2, 8)}`,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 0,
    })
    .then((client) => {
      clients.push(client);
      return client;
    });
}

function as(user: MqttUser): Promise<MqttClient> {
  return connect(user, deployed.passwords[user]);
}

/** Every message a client receives, by topic. */
function inbox(client: MqttClient): string[] {
  const topicsSeen: string[] = [];
  client.on('message', (topic) => topicsSeen.push(topic));
  return topicsSeen;
}

/** Resolves with the first message on `topic`. */
function nextMessage(client: MqttClient, topic: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      client.off('message', onMessage);
      resolve(payload);
    };
    client.on('message', onMessage);
  });
}

/** The reason code of a QoS 1 publish: 0 once the broker took it, or the refusal's code. */
async function publishReason(client: MqttClient, topic: string): Promise<number> {
  try {
    await client.publishAsync(topic, 'x', { qos: 1 });
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

describe('the deployed broker', () => {
  it('refuses a client without credentials', async () => {
    await expect(connect()).rejects.toMatchObject({ code: NOT_AUTHORIZED });
  });

  it('refuses a known user with a wrong password', async () => {
    await expect(connect('acquisition', `${deployed.passwords.acquisition}x`)).rejects.toMatchObject({
      code: NOT_AUTHORIZED,
    });
  });

  it.each(MQTT_USERS.map((u) => u.user))('accepts %s with the password setup-secrets wrote', async (user) => {
    const client = await as(user);
    expect(client.connected).toBe(true);
  });
});

describe('what each user may publish', () => {
  // Every user against a topic of every kind, and against every service's status topic.
  const cases = MQTT_USERS.flatMap(({ user }) => [
    ...TOPIC_KINDS.filter((kind) => kind !== 'status').map((kind) => ({
      user,
      topic: topics[kind](PUMP),
      allowed: WRITES[user].includes(kind),
    })),
    ...SERVICES.map((service) => ({ user, topic: topics.status(service), allowed: service === user })),
  ]);

  it.each(cases.filter((c) => c.allowed))('lets $user publish on $topic', async ({ user, topic }) => {
    expect(await publishReason(await as(user), topic)).toBe(0);
  });

  it.each(cases.filter((c) => !c.allowed))(
    'answers $user publishing on $topic with PUBACK 0x87 and drops the message',
    async ({ user, topic }) => {
      const viewer = await as('viewer');
      const seen = inbox(viewer);
      await viewer.subscribeAsync(topic, { qos: 1 });
      expect(await publishReason(await as(user), topic)).toBe(NOT_AUTHORIZED);
      // A round trip to the viewer after the refusal: anything delivered to it would have come first.
      await viewer.subscribeAsync('pdm/v1/sync', { qos: 1 });
      expect(seen).not.toContain(topic);
    },
  );

  it('lets an inference replica publish its own status when INFERENCE_REPLICAS > 1', async () => {
    expect(await publishReason(await as('inference'), topics.status('inference-1'))).toBe(0);
  });
});

describe('what each user receives', () => {
  it("delivers training and telemetry to acquisition through its shared subscriptions, and inference's predictions and alerts", async () => {
    const acquisition = await as('acquisition');
    await acquisition.subscribeAsync(
      [
        sharedFilter('acquisition', 'training'),
        sharedFilter('acquisition', 'telemetry'),
        sharedFilter('acquisition', 'gateway_telemetry'),
        topicFilter('predictions'),
        topicFilter('alerts'),
      ],
      { qos: 1 },
    );
    const received = [
      nextMessage(acquisition, topics.training(PUMP)),
      nextMessage(acquisition, topics.telemetry(PUMP)),
      nextMessage(acquisition, topics.gateway_telemetry(GATEWAY)),
      nextMessage(acquisition, topics.predictions(PUMP)),
      nextMessage(acquisition, topics.alerts(PUMP)),
    ];
    await (await as('training-simulator')).publishAsync(topics.training(PUMP), 'training', { qos: 1 });
    const simulator = await as('production-simulator');
    await simulator.publishAsync(topics.telemetry(PUMP), 'telemetry', { qos: 1 });
    await simulator.publishAsync(topics.gateway_telemetry(GATEWAY), 'gateway', { qos: 1 });
    const inference = await as('inference');
    await inference.publishAsync(topics.predictions(PUMP), 'prediction', { qos: 1 });
    await inference.publishAsync(topics.alerts(PUMP), 'alert', { qos: 1 });
    expect((await Promise.all(received)).map(String)).toEqual([
      'training',
      'telemetry',
      'gateway',
      'prediction',
      'alert',
    ]);
  });

  it('delivers telemetry and ground truth, per pump and per gateway, to inference', async () => {
    const inference = await as('inference');
    await inference.subscribeAsync(
      [
        topicFilter('telemetry'),
        topicFilter('gateway_telemetry'),
        topicFilter('groundtruth'),
        topicFilter('gateway_groundtruth'),
      ],
      { qos: 1 },
    );
    const telemetry = nextMessage(inference, topics.telemetry(PUMP));
    const gateway = nextMessage(inference, topics.gateway_telemetry(GATEWAY));
    const truth = nextMessage(inference, topics.groundtruth(PUMP));
    const gatewayTruth = nextMessage(inference, topics.gateway_groundtruth(GATEWAY));
    const simulator = await as('production-simulator');
    await simulator.publishAsync(topics.telemetry(PUMP), 't', { qos: 1 });
    await simulator.publishAsync(topics.gateway_telemetry(GATEWAY), 'b', { qos: 1 });
    await simulator.publishAsync(topics.groundtruth(PUMP), 'g', { qos: 1 });
    await simulator.publishAsync(topics.gateway_groundtruth(GATEWAY), 'G', { qos: 1 });
    await expect(Promise.all([telemetry, gateway, truth, gatewayTruth])).resolves.toHaveLength(4);
  });

  it('lets the viewer read predictions and alerts, and refuses its publishes', async () => {
    const viewer = await as('viewer');
    await viewer.subscribeAsync([topicFilter('predictions'), topicFilter('alerts')], { qos: 1 });
    const prediction = nextMessage(viewer, topics.predictions(PUMP));
    const alert = nextMessage(viewer, topics.alerts(PUMP));
    const inference = await as('inference');
    await inference.publishAsync(topics.predictions(PUMP), 'p', { qos: 1 });
    await inference.publishAsync(topics.alerts(PUMP), 'a', { qos: 1 });
    await expect(Promise.all([prediction, alert])).resolves.toHaveLength(2);
    expect(await publishReason(viewer, topics.predictions(PUMP))).toBe(NOT_AUTHORIZED);
  });

  it('delivers alerts to the notifier, and its acks to the viewer', async () => {
    const notifier = await as('notifier');
    await notifier.subscribeAsync(topicFilter('alerts'), { qos: 1 });
    const alert = nextMessage(notifier, topics.alerts(PUMP));
    await (await as('inference')).publishAsync(topics.alerts(PUMP), 'a', { qos: 1 });
    expect((await alert).toString()).toBe('a');
    const viewer = await as('viewer');
    await viewer.subscribeAsync(topicFilter('acks'), { qos: 1 });
    const ack = nextMessage(viewer, topics.acks(PUMP));
    await notifier.publishAsync(topics.acks(PUMP), 'ack', { qos: 1 });
    expect((await ack).toString()).toBe('ack');
  });

  it('lets the health check user read $SYS/broker/uptime, as the compose health check does', async () => {
    const healthcheck = await as('healthcheck');
    const uptime = nextMessage(healthcheck, '$SYS/broker/uptime');
    await healthcheck.subscribeAsync('$SYS/broker/uptime', { qos: 0 });
    expect((await uptime).toString()).toMatch(/^\d+ seconds$/);
  });

  // Mosquitto 2.0's acl_file does not check SUBSCRIBE: the SUBACK grants the filter, and `read` is checked
  // per message at delivery. What a user notices is that such a subscription never delivers anything.
  const outside: { user: MqttUser; filters: string[]; publisher: MqttUser; topic: string }[] = [
    {
      user: 'acquisition',
      filters: [topicFilter('groundtruth'), sharedFilter('acquisition', 'groundtruth')],
      publisher: 'production-simulator',
      topic: topics.groundtruth(PUMP),
    },
    {
      user: 'acquisition',
      filters: [topicFilter('gateway_groundtruth'), sharedFilter('acquisition', 'gateway_groundtruth')],
      publisher: 'production-simulator',
      topic: topics.gateway_groundtruth(GATEWAY),
    },
    {
      user: 'inference',
      filters: [topicFilter('training')],
      publisher: 'training-simulator',
      topic: topics.training(PUMP),
    },
    {
      user: 'production-simulator',
      filters: [topicFilter('predictions')],
      publisher: 'inference',
      topic: topics.predictions(PUMP),
    },
    {
      user: 'training-simulator',
      filters: [topicFilter('telemetry')],
      publisher: 'production-simulator',
      topic: topics.telemetry(PUMP),
    },
    {
      user: 'notifier',
      filters: [topicFilter('predictions')],
      publisher: 'inference',
      topic: topics.predictions(PUMP),
    },
    {
      user: 'healthcheck',
      filters: [topicFilter('alerts')],
      publisher: 'inference',
      topic: topics.alerts(PUMP),
    },
  ];

  it.each(outside)(
    'never delivers $topic to $user, which may not read it',
    async ({ user, filters, publisher, topic }) => {
      const subject = await as(user);
      const seen = inbox(subject);
      await subject.subscribeAsync(filters, { qos: 1 });
      // The control: a user allowed to read the topic does receive the message.
      const viewer = await as('viewer');
      await viewer.subscribeAsync(topic, { qos: 1 });
      const control = nextMessage(viewer, topic);
      await (await as(publisher)).publishAsync(topic, 'x', { qos: 1 });
      await control;
      // The PUBACK above means the broker has queued the message for every subscriber it may go to; a round
      // trip to the subject afterwards returns only once anything queued for it has arrived.
      await subject.subscribeAsync('pdm/v1/sync', { qos: 1 });
      expect(seen).toEqual([]);
    },
  );
});
