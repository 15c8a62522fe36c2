/** A QoS 1 subscriber that records every message, for checking what services published. */
import mqtt, { type MqttClient } from 'mqtt';

export interface ReceivedMessage {
  readonly topic: string;
  readonly payload: Buffer;
}

export interface Recorder {
  readonly client: MqttClient;
  readonly messages: ReceivedMessage[];
  /** resolves once at least `count` messages (optionally matching) have arrived */
  waitFor(
    count: number,
    match?: (m: ReceivedMessage) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

export async function recordMessages(
  url: string,
  filters: string | string[],
  clientId = `recorder-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, {
    clientId,
    protocolVersion: 5,
    clean: true,
    reconnectPeriod: 200,
  });
  const messages: ReceivedMessage[] = [];
  const watchers = new Set<() => void>();
  client.on('message', (topic, payload) => {
    messages.push({ topic, payload });
    for (const w of watchers) w();
  });
  await client.subscribeAsync(filters, { qos: 1 });
  return {
    client,
    messages,
    waitFor(count, match = () => true, timeoutMs = 60_000) {
      // Counts incrementally: a run can deliver hundreds of thousands of messages.
      const hits: ReceivedMessage[] = [];
      let scanned = 0;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`only ${hits.length} of ${count} messages within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          for (; scanned < messages.length; scanned++) {
            const m = messages[scanned] as ReceivedMessage;
            if (match(m)) hits.push(m);
          }
          if (hits.length >= count) {
            clearTimeout(timer);
            watchers.delete(check);
            resolve(hits);
          }
        };
        watchers.add(check);
        check();
      });
    },
    close: () => client.endAsync(),
  };
}
