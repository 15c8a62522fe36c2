/**
 * kill -9 of inference while it catches up on a backlog, against a real Mosquitto: telemetry is
 * acknowledged only once its prediction is with the broker, so the broker redelivers whatever the
 * dead process had not finished, and every telemetry message ends up with a prediction.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTelemetry, topicFilter, topics } from '@pdm/contract';
import { PumpTwin, telemetryMessage } from '@pdm/pump-physics';
import { type Mosquitto, type RunningService, startMosquitto, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeTestModel } from './testing/model-fixture.ts';

const PUMPS = 200;
const SAMPLES_PER_PUMP = 100;

let broker: Mosquitto;
let modelPath: string;
const running: RunningService[] = [];
beforeAll(async () => {
  broker = await startMosquitto();
  modelPath = join(mkdtempSync(join(tmpdir(), 'pdm-crash-')), 'model.onnx');
  await writeTestModel(modelPath, { seed: 3 });
});
afterEach(async () => {
  for (const s of running.splice(0)) {
    s.signal('SIGKILL');
    await s.exited;
  }
});
afterAll(async () => {
  await broker?.stop();
});

function inference(): RunningService {
  const service = startService('inference', ['--http-port', '0', '--model', modelPath], {
    MQTT_URL: broker.url,
    MQTT_CLIENT_ID: 'inf-crash',
  });
  running.push(service);
  return service;
}

describe('inference killed with kill -9 (real Mosquitto)', () => {
  it('loses no prediction when killed while catching up on a backlog', async () => {
    // A witness records every prediction, on a persistent session of its own.
    const predicted = new Set<string>();
    const witness = await mqtt.connectAsync(broker.url, {
      clientId: 'crash-witness',
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    witness.on('message', (_topic, payload) => {
      const p = JSON.parse(payload.toString()) as { pump_id: string; seq: number };
      predicted.add(`${p.pump_id}#${p.seq}`);
    });
    await witness.subscribeAsync(topicFilter('predictions'), { qos: 1 });
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'crash-publisher' });
    try {
      // Register inference's session, then take it away, and queue a backlog for it.
      const first = inference();
      await first.waitForLine(/inference running/);
      first.signal('SIGTERM');
      expect(await first.exited).toBe(0);
      const expected: string[] = [];
      const twins = Array.from(
        { length: PUMPS },
        (_, i) => new PumpTwin({ seed: 9, index: i, lifetime: { beta: 2, eta: 1000 } }),
      );
      const sends: Promise<unknown>[] = [];
      for (let seq = 0; seq < SAMPLES_PER_PUMP; seq++) {
        for (const [i, twin] of twins.entries()) {
          const id = `crash-${String(i).padStart(4, '0')}`;
          const sample = telemetryMessage(id, 1_767_225_600_000 + seq * 1000, seq, twin.sample(1 / 3600));
          expected.push(`${id}#${seq}`);
          sends.push(publisher.publishAsync(topics.telemetry(id), encodeTelemetry(sample), { qos: 1 }));
        }
      }
      await Promise.all(sends);

      // Catch-up starts; kill it in the middle.
      const second = inference();
      while (predicted.size < expected.length / 4 && second.child.exitCode === null)
        await new Promise((r) => setTimeout(r, 5));
      second.signal('SIGKILL');
      await second.exited;
      const beforeRestart = predicted.size;
      expect(beforeRestart).toBeLessThan(expected.length);

      const third = inference();
      const deadline = Date.now() + 90_000;
      while (predicted.size < expected.length && Date.now() < deadline) {
        if (third.child.exitCode !== null) throw new Error(third.stdout().slice(-3000));
        await new Promise((r) => setTimeout(r, 100));
      }
      const lost = expected.filter((key) => !predicted.has(key));
      console.log(
        `kill -9 at ${beforeRestart} of ${expected.length} predictions; lost after restart: ${lost.length}`,
      );
      expect(lost).toEqual([]);
    } finally {
      await publisher.endAsync();
      await witness.endAsync();
    }
  });
});
