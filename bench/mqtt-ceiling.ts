/** The raw broker ceilings: bare mqtt.js QoS 1 publishers and subscribers, measured beside our figures. */
import mqtt from 'mqtt';

export async function bareQos1Publish(
  url: string,
  messages: number,
  payload: string,
  window = 1000,
): Promise<number> {
  const client = await mqtt.connectAsync(url, {
    clientId: `bench-bare-${process.pid}`,
    protocolVersion: 5,
    clean: true,
  });
  let inFlight = 0;
  let acked = 0;
  let wake: (() => void) | undefined;
  const started = performance.now();
  for (let i = 0; i < messages; i++) {
    inFlight += 1;
    client.publish(`bench/bare/${i % 100}`, payload, { qos: 1 }, () => {
      inFlight -= 1;
      acked += 1;
      wake?.();
    });
    if (inFlight >= window) await new Promise<void>((r) => (wake = r));
  }
  while (acked < messages) await new Promise<void>((r) => (wake = r));
  const seconds = (performance.now() - started) / 1000;
  await client.endAsync();
  return messages / seconds;
}

/** Persistent-session subscribers in one shared group that acknowledge at once. */
export async function bareSubscribers(url: string, count: number, filter = '$share/bare/pdm/v1/training/+') {
  const options = (i: number) => ({
    clientId: `bench-bare-sub-${i}`,
    clean: false,
    protocolVersion: 5 as const,
    properties: { sessionExpiryInterval: 600 },
  });
  const clients = await Promise.all(
    Array.from({ length: count }, (_, i) => mqtt.connectAsync(url, options(i))),
  );
  await Promise.all(clients.map((c) => c.subscribeAsync(filter, { qos: 1 })));
  return {
    disconnect: () => Promise.all(clients.map((c) => c.endAsync())).then(() => undefined),
    async drain(expected: number): Promise<number> {
      let received = 0;
      let done: () => void = () => {};
      const finished = new Promise<void>((r) => (done = r));
      const started = performance.now();
      const again = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const c = mqtt.connect(url, options(i));
          c.on('message', () => {
            received += 1;
            if (received >= expected) done();
          });
          return c;
        }),
      );
      await finished;
      const rate = expected / ((performance.now() - started) / 1000);
      await Promise.all(again.map((c) => c.endAsync()));
      return rate;
    },
  };
}
