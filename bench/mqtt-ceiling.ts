/** The raw broker ceiling: a bare mqtt.js QoS 1 publisher, every message acknowledged. */
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
