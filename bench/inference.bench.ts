/**
 * Issue 5 figures: sustained predictions per second, and latency at 2,000 msg/s, from a real Mosquitto; and
 * (issue 14) the sustained rate with a RUL model served beside the state model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTelemetry, predictionSchema, topics } from '@pdm/contract';
import { writeRulTestModel, writeTestModel } from '@pdm/inference/testing';
import { PumpTwin, telemetryMessage } from '@pdm/pump-physics';
import { type Mosquitto, recordMessages, startMosquitto, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import { metric } from './metric.ts';
import { bareSubscribers } from './mqtt-ceiling.ts';
import { type BenchRow, formatNumber } from './table.ts';

const QUEUED = 200_000;

/** Telemetry for `pumps` pumps, `perPump` samples each, interleaved as a fleet sends it. */
function fleetPayloads(pumps: number, perPump: number): { topic: string; payload: string }[] {
  const twins = Array.from(
    { length: pumps },
    (_, i) => new PumpTwin({ seed: 11, index: i, lifetime: { beta: 2, eta: 1000 } }),
  );
  const out: { topic: string; payload: string }[] = [];
  for (let seq = 0; seq < perPump; seq++) {
    for (const [i, twin] of twins.entries()) {
      const id = `bench-${i}`;
      out.push({
        topic: topics.telemetry(id),
        payload: encodeTelemetry(
          telemetryMessage(id, 1_767_225_600_000 + seq * 1000, seq, twin.sample(1 / 3600)),
        ),
      });
    }
  }
  return out;
}

/** Publishes every message with QoS 1, at most 500 unacknowledged at once, and waits for the last PUBACK. */
export async function publishQueued(
  url: string,
  messages: { topic: string; payload: string }[],
): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: 'bench-inference-sender', protocolVersion: 5 });
  let inFlight = 0;
  let wake: (() => void) | undefined;
  for (const m of messages) {
    inFlight += 1;
    client.publish(m.topic, m.payload, { qos: 1 }, () => {
      inFlight -= 1;
      wake?.();
    });
    if (inFlight >= 500) await new Promise<void>((r) => (wake = r));
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  await client.endAsync();
}

/**
 * Predictions per second while inference drains `payloads` queued at the broker for its session. Returns
 * the service still running, and its /metrics port.
 */
async function sustainedRate(
  broker: Mosquitto,
  dir: string,
  args: readonly string[],
  env: Record<string, string>,
  payloads: { topic: string; payload: string }[],
) {
  // The session first, so that the broker queues for it; then the queue; then inference drains it.
  const first = startService('inference', [...args], env, { cwd: dir });
  await first.waitForLine(/inference running/);
  first.signal('SIGTERM');
  await first.exited;
  await publishQueued(broker.url, payloads);
  const service = startService('inference', [...args], env, { cwd: dir });
  const port = (JSON.parse(await service.waitForLine(/serving \/healthz/)) as { port: number }).port;
  await service.waitForLine(/inference running/);
  const started = performance.now();
  let done = 0;
  while (done < payloads.length) {
    await new Promise((r) => setTimeout(r, 100));
    done = await metric(port, 'pdm_inference_predictions_total');
  }
  return { rate: payloads.length / ((performance.now() - started) / 1000), service, port };
}

async function inferenceThroughput(): Promise<BenchRow[]> {
  const broker = await startMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'pdm-bench-inf-'));
  try {
    const model = join(dir, 'pump-state.onnx');
    const rulModel = join(dir, 'pump-rul.onnx');
    await writeTestModel(model, { trees: 30 });
    await writeRulTestModel(rulModel, { trees: 30 });
    const env = {
      MQTT_URL: broker.url,
      MQTT_CLIENT_ID: 'bench-inference',
      RUL_MODEL_PATH: join(dir, 'none.onnx'),
    };
    const args = ['--http-port', '0', '--model', model, '--replicas', '1'];

    // Sustained rate: the messages wait at the broker, then inference drains them.
    const payloads = fleetPayloads(1000, QUEUED / 1000);
    const { rate: sustained, service } = await sustainedRate(broker, dir, args, env, payloads);

    // Latency at a steady 2,000 msg/s: 200 pumps replayed at 10× real time.
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const simulator = startService(
      'production-simulator',
      [
        '--pumps',
        '200',
        '--mode',
        'stress',
        '--chaos',
        '--duration',
        '200',
        '--time-scale',
        '10',
        '--no-ground-truth',
      ],
      { MQTT_URL: broker.url },
    );
    await simulator.exited;
    const sent = (
      simulator.logs().find((l) => l.msg === 'production run complete') as { telemetrySent: number }
    ).telemetrySent;
    const predictions = await recorder.waitFor(sent, () => true, 60_000);
    await recorder.close();
    const latencies = predictions
      .map((m) => predictionSchema.parse(JSON.parse(m.payload.toString())).latency_ms)
      .sort((a, b) => a - b);
    const warm = latencies.slice(Math.floor(latencies.length * 0.05));
    const p99 = warm[Math.floor(warm.length * 0.99)] as number;
    const p50 = warm[Math.floor(warm.length * 0.5)] as number;
    service.signal('SIGTERM');
    await service.exited;

    // The same queue again, with the RUL model beside the state model: two runs per batch.
    const withRul = await sustainedRate(
      broker,
      dir,
      args,
      { ...env, MQTT_CLIENT_ID: 'bench-inference-rul', RUL_MODEL_PATH: rulModel },
      payloads,
    );
    withRul.service.signal('SIGTERM');
    await withRul.service.exited;

    // The ceiling: one bare mqtt.js QoS 1 subscriber draining the same queue, acknowledging at once.
    const bare = await bareSubscribers(broker.url, 1, 'pdm/v1/telemetry/+');
    await bare.disconnect();
    await publishQueued(broker.url, payloads);
    const ceiling = await bare.drain(payloads.length);
    return [
      {
        benchmark: `inference: sustained predictions from a real Mosquitto (${formatNumber(QUEUED)} queued, 1,000 pumps)`,
        figure: `${formatNumber(sustained)} predictions/s`,
        target: '≥ 20,000/s (aim 50,000)',
        baseline: `bare mqtt.js QoS 1 subscriber, one connection, same queue: ${formatNumber(ceiling)} msg/s`,
        ok: sustained >= 20_000,
      },
      {
        benchmark: `inference: the same with a RUL model beside the state model (both 30 trees)`,
        figure: `${formatNumber(withRul.rate)} predictions/s`,
        target: '≥ 20,000/s',
        baseline: `state model alone: ${formatNumber(sustained)} predictions/s`,
        ok: withRul.rate >= 20_000,
      },
      {
        benchmark: `inference: latency receipt → publish at 2,000 msg/s (${formatNumber(sent)} msgs, STRESS + chaos)`,
        figure: `p99 ${p99.toFixed(2)} ms (p50 ${p50.toFixed(2)} ms)`,
        target: 'p99 ≤ 25 ms',
        ok: p99 <= 25,
      },
    ];
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const inferenceBenchmarks = { inferenceThroughput };
