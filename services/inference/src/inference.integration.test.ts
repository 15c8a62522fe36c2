import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  alertSchema,
  encodeGatewayGroundTruth,
  encodeGatewayRow,
  encodeGatewayTelemetry,
  encodeGatewayTruthRow,
  encodeTelemetry,
  type GroundTruth,
  type Prediction,
  predictionSchema,
  type Telemetry,
  topics,
} from '@pdm/contract';
import { FEATURE_NAMES, RESTART_AFTER } from '@pdm/features';
import { groundTruthMessage, PumpTwin, telemetryMessage } from '@pdm/pump-physics';
import {
  badInputCorpus,
  type Mosquitto,
  type RunningService,
  recordMessages,
  startMosquitto,
  startService,
} from '@pdm/testkit';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ownsPump } from './partition.ts';
import { writeCorruptModel, writeRulTestModel, writeTestModel } from './testing/model-fixture.ts';

let broker: Mosquitto;
let models: string;
const running: RunningService[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  models = mkdtempSync(join(tmpdir(), 'pdm-models-'));
  await writeTestModel(join(models, 'good.onnx'), { seed: 1 });
  await writeRulTestModel(join(models, 'rul.onnx'), { seed: 1 });
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

function inference(
  modelPath: string,
  clientId: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): RunningService {
  const service = startService('inference', ['--http-port', '0', '--model', modelPath, ...extra], {
    MQTT_URL: broker.url,
    MQTT_CLIENT_ID: clientId,
    // No RUL model unless a test names one: the default path is relative to the service's own folder.
    RUL_MODEL_PATH: join(models, 'no-rul-model.onnx'),
    ...env,
  });
  running.push(service);
  return service;
}

/** `count` healthy-ish samples per pump, one second apart, from the pump twin. */
function fleetTelemetry(pumps: string[], count: number, startSeq = 0): Telemetry[] {
  const out: Telemetry[] = [];
  const twins = pumps.map((_, i) => new PumpTwin({ seed: 5, index: i, lifetime: { beta: 2, eta: 1000 } }));
  for (let seq = 0; seq < startSeq + count; seq++) {
    for (const [i, twin] of twins.entries()) {
      const reading = twin.sample(1 / 3600);
      if (seq >= startSeq)
        out.push(telemetryMessage(pumps[i] as string, 1_767_225_600_000 + seq * 1000, seq, reading));
    }
  }
  return out;
}

async function publishAll(client: MqttClient, samples: Telemetry[]): Promise<void> {
  await Promise.all(
    samples.map((s) => client.publishAsync(topics.telemetry(s.pump_id), encodeTelemetry(s), { qos: 1 })),
  );
}

function logRows(service: RunningService, kind: 'jsonl' | 'csv'): string[] {
  const dir = join(service.cwd, 'predictions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith('predictions-') && f.endsWith(kind))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .filter((line) => !line.startsWith('ts,'));
}

async function untilLogged(service: RunningService, rows: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (logRows(service, 'jsonl').length < rows || logRows(service, 'csv').length < rows) {
    if (Date.now() > deadline)
      throw new Error(`only ${logRows(service, 'jsonl').length} of ${rows} log rows`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The dead letters the service has written so far. */
function deadLetters(service: RunningService): { reason: string; topic: string; detail: string }[] {
  const dir = join(service.cwd, 'predictions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith('dead-letters-'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as { reason: string; topic: string; detail: string });
}

async function untilDeadLetters(service: RunningService, count: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (deadLetters(service).length < count) {
    if (Date.now() > deadline)
      throw new Error(`only ${deadLetters(service).length} of ${count} dead letters`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return deadLetters(service);
}

/** A pump on the STRESS clock from new to `after` samples past failure: its telemetry and ground truth. */
function degradingPump(
  pumpId: string,
  seed: number,
  after = 20,
): { telemetry: Telemetry[]; truth: GroundTruth[] } {
  const twin = new PumpTwin({ seed, index: 0, lifetime: { beta: 2, eta: 150 / 3600 / 0.8862 } });
  const life = Math.ceil(twin.lifecycle.ttfH * 3600) + after;
  const telemetry: Telemetry[] = [];
  const truth: GroundTruth[] = [];
  for (let seq = 0; seq < life; seq++) {
    const reading = twin.sample(1 / 3600);
    const ts = 1_767_225_600_000 + seq * 1000;
    telemetry.push(telemetryMessage(pumpId, ts, seq, reading));
    truth.push(groundTruthMessage(pumpId, ts, seq, reading, 0, []));
  }
  return { telemetry, truth };
}

async function metricsOf(service: RunningService): Promise<string> {
  const port = (JSON.parse(await service.waitForLine(/serving \/healthz/)) as { port: number }).port;
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** pdm_inference_scored_total once it reaches `count` (or, after the timeout, what it reached). */
async function untilScored(service: RunningService, count: number, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const scored = Number(/^pdm_inference_scored_total (\S+)$/m.exec(await metricsOf(service))?.[1]);
    if (scored >= count || Date.now() > deadline) return scored;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('inference against a real Mosquitto', () => {
  it('gives every telemetry message exactly one prediction and one log row in each format', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-it-1');
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-it-1-sender' });
    try {
      const samples = fleetTelemetry(['it1-a', 'it1-b', 'it1-c', 'it1-d'], 150);
      await publishAll(publisher, samples);
      const predictions = (await service.whileRunning(recorder.waitFor(samples.length))).map((m) =>
        predictionSchema.parse(JSON.parse(m.payload.toString())),
      );
      expect(new Set(predictions.map((p) => `${p.pump_id}#${p.seq}`)).size).toBe(samples.length);
      await untilLogged(service, samples.length);
      expect(logRows(service, 'jsonl')).toHaveLength(samples.length);
      expect(logRows(service, 'csv')).toHaveLength(samples.length);
      // A redelivered message is not predicted twice.
      await publishAll(publisher, samples.slice(0, 20));
      await publishAll(publisher, fleetTelemetry(['it1-a'], 1, 150));
      await recorder.waitFor(samples.length + 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(recorder.messages).toHaveLength(samples.length + 1);
      const first = predictions[0];
      expect(first?.probabilities.HEALTHY).toBeGreaterThan(0.5);
      expect(first?.iso_zone).toBe('A');
      expect(first?.latency_ms).toBeGreaterThanOrEqual(0);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('hot-reloads a replaced model under load: nothing lost, and the version changes once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-hot-'));
    const modelPath = join(dir, 'pump-state.onnx');
    await writeTestModel(modelPath, { seed: 1 });
    const service = inference(modelPath, 'inf-it-2');
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-it-2-sender' });
    try {
      const pumps = Array.from({ length: 20 }, (_, i) => `it2-${i}`);
      const samples = fleetTelemetry(pumps, 200);
      const half = samples.length / 2;
      await publishAll(publisher, samples.slice(0, half));
      const publishing = (async () => {
        for (let i = half; i < samples.length; i += 200) {
          await publishAll(publisher, samples.slice(i, i + 200));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await writeTestModel(modelPath, { seed: 2 });
      await publishing;
      const line = await service.waitForLine(/"msg":"model .* → /);
      const predictions = (await service.whileRunning(recorder.waitFor(samples.length))).map((m) =>
        predictionSchema.parse(JSON.parse(m.payload.toString())),
      );
      expect(new Set(predictions.map((p) => `${p.pump_id}#${p.seq}`)).size).toBe(samples.length);
      const versions = predictions.map((p) => p.model_version);
      const switchAt = versions.findIndex((v) => v !== versions[0]);
      expect(switchAt).toBeGreaterThan(0);
      expect(new Set(versions.slice(switchAt)).size).toBe(1);
      expect(line).toContain(`"from":"${versions[0]}"`);
      expect(line).toContain(`"to":"${versions[switchAt]}"`);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('refuses a corrupt or mismatched replacement and keeps serving the old model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-refuse-'));
    const modelPath = join(dir, 'pump-state.onnx');
    await writeTestModel(modelPath, { seed: 1 });
    const service = inference(modelPath, 'inf-it-3');
    await service.waitForLine(/inference running/);
    const version = (JSON.parse(await service.waitForLine(/"msg":"model loaded"/)) as { version: string })
      .version;
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-it-3-sender' });
    try {
      await writeCorruptModel(modelPath);
      await service.waitForLine(/not a readable ONNX model/);
      await writeTestModel(modelPath, { seed: 3, featureNames: [...FEATURE_NAMES].reverse() });
      await service.waitForLine(/was trained on other features/);
      const samples = fleetTelemetry(['it3-a', 'it3-b'], 50);
      await publishAll(publisher, samples);
      const predictions = (await service.whileRunning(recorder.waitFor(samples.length))).map((m) =>
        predictionSchema.parse(JSON.parse(m.payload.toString())),
      );
      expect(new Set(predictions.map((p) => p.model_version))).toEqual(new Set([version]));
      const refusals = service
        .logs()
        .filter((l) => l.msg === 'refused the new model file; the old model keeps serving');
      expect(refusals).toHaveLength(2);
      expect(refusals.every((r) => r.serving === version)).toBe(true);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('waits for a model without consuming, then starts once one appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-wait-'));
    const modelPath = join(dir, 'pump-state.onnx');
    const service = inference(modelPath, 'inf-it-4');
    await service.waitForLine(/no usable model: waiting for one/);
    const port = (JSON.parse(await service.waitForLine(/serving \/healthz/)) as { port: number }).port;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: 'unhealthy',
      model: expect.stringContaining(`no model at ${modelPath}`),
    });
    expect(service.stdout()).not.toContain('connected to MQTT broker');
    await writeTestModel(modelPath, { seed: 1 });
    await service.waitForLine(/inference running/);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('splits the fleet between two replicas: each pump handled by exactly one, together all', async () => {
    const replicas = [0, 1].map((r) =>
      inference(join(models, 'good.onnx'), `inf-it-5-${r}`, ['--replicas', '2', '--replica', String(r)]),
    );
    for (const r of replicas) await r.waitForLine(/inference running/);
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-it-5-sender' });
    try {
      const pumps = Array.from({ length: 30 }, (_, i) => `it5-${i}`);
      const samples = fleetTelemetry(pumps, 20);
      await publishAll(publisher, samples);
      const deadline = Date.now() + 30_000;
      const total = () => replicas.reduce((n, r) => n + logRows(r, 'jsonl').length, 0);
      while (total() < samples.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const pumpsOf = (r: RunningService) =>
        new Set(logRows(r, 'jsonl').map((l) => (JSON.parse(l) as { pump_id: string }).pump_id));
      const [a, b] = replicas.map(pumpsOf) as [Set<string>, Set<string>];
      expect([...a].filter((p) => b.has(p))).toEqual([]);
      expect(new Set([...a, ...b])).toEqual(new Set(pumps));
      expect(a.size).toBeGreaterThan(5);
      expect(b.size).toBeGreaterThan(5);
      expect(total()).toBe(samples.length);
    } finally {
      await publisher.endAsync();
    }
  });

  it('dead-letters each kind of bad input with its reason and keeps predicting', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-it-6');
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-it-6-sender' });
    try {
      const valid = fleetTelemetry(['it6'], 1)[0] as Telemetry;
      const corpus = badInputCorpus(topics.telemetry, valid);
      const good = fleetTelemetry(['it6'], corpus.length + 1);
      for (const [i, bad] of corpus.entries()) {
        await publisher.publishAsync(topics.telemetry('it6'), encodeTelemetry(good[i] as Telemetry), {
          qos: 1,
        });
        await publisher.publishAsync(bad.topic, bad.payload, { qos: 1 });
      }
      await publisher.publishAsync(
        topics.telemetry('it6'),
        encodeTelemetry(good[corpus.length] as Telemetry),
        { qos: 1 },
      );
      await service.whileRunning(recorder.waitFor(corpus.length + 1));
      const deadline = Date.now() + 10_000;
      const lettersFile = () =>
        readdirSync(join(service.cwd, 'predictions'))
          .filter((f) => f.startsWith('dead-letters-'))
          .flatMap((f) =>
            readFileSync(join(service.cwd, 'predictions', f), 'utf8')
              .split('\n')
              .filter(Boolean),
          )
          .map((l) => JSON.parse(l) as { reason: string; topic: string });
      while (lettersFile().length < corpus.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(lettersFile().map((l) => l.reason)).toEqual(corpus.map((c) => c.reason));
      // A 60 KB topic is clipped in its dead letter and in the log.
      expect(Math.max(...lettersFile().map((l) => l.topic.length))).toBeLessThan(300);
      expect(service.stdout()).not.toContain('x'.repeat(1000));
      expect(service.child.exitCode).toBeNull();
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('raises no alert for a glitch on a healthy pump, and alerts on a real degradation', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-it-7', ['--alert-min-interval-s', '0']);
    await service.waitForLine(/inference running/);
    const alerts = await recordMessages(broker.url, 'pdm/v1/alerts/+');
    const predictions = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-it-7-sender' });
    try {
      // Healthy for 120 s with a 3-sample, +30 mm/s spike in vibration_x at 60 s.
      const healthy = fleetTelemetry(['it7-healthy'], 120).map((s) =>
        s.seq >= 60 && s.seq < 63
          ? {
              ...s,
              vibration_x: s.vibration_x + 30,
              vibration_rms: Math.sqrt(
                ((s.vibration_x + 30) ** 2 + s.vibration_y ** 2 + s.vibration_z ** 2) / 3,
              ),
            }
          : s,
      );
      // A pump on the STRESS clock, from new to well past failure.
      const twin = new PumpTwin({ seed: 9, index: 0, lifetime: { beta: 2, eta: 150 / 3600 / 0.8862 } });
      const life = Math.ceil(twin.lifecycle.ttfH * 3600) + 20;
      const degrading = Array.from({ length: life }, (_, seq) =>
        telemetryMessage('it7-degrading', 1_767_225_600_000 + seq * 1000, seq, twin.sample(1 / 3600)),
      );
      await publishAll(publisher, healthy);
      await publishAll(publisher, degrading);
      await service.whileRunning(predictions.waitFor(healthy.length + degrading.length));
      await new Promise((r) => setTimeout(r, 500));
      const raised = alerts.messages.map((m) => alertSchema.parse(JSON.parse(m.payload.toString())));
      expect(raised.filter((a) => a.pump_id === 'it7-healthy')).toEqual([]);
      const alarms = raised.filter((a) => a.pump_id === 'it7-degrading' && a.kind === 'alarm');
      expect(alarms.length).toBeGreaterThan(0);
      expect(alarms[0]?.state).toMatch(/FAULTY|BROKEN/);
      expect(alarms[0]?.evidence.raw_states.length).toBeGreaterThan(0);
    } finally {
      await alerts.close();
      await predictions.close();
      await publisher.endAsync();
    }
  });

  it('keeps predicting a pump after one sample stamped far in the future, and counts what it skipped', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-it-8');
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-it-8-sender' });
    try {
      // The contract allows device time up to 2200, so this sample is valid; the pump's clock then
      // goes on as before, and each later sample looks older than it.
      const samples = fleetTelemetry(['it8'], 24);
      samples[3] = { ...(samples[3] as Telemetry), ts: Date.UTC(2199, 0, 1) };
      await publishAll(publisher, samples);
      const skipped = new Set(Array.from({ length: RESTART_AFTER - 1 }, (_, i) => 4 + i));
      const expected = samples.filter((s) => !skipped.has(s.seq)).map((s) => s.seq);
      const predictions = (await service.whileRunning(recorder.waitFor(expected.length))).map((m) =>
        predictionSchema.parse(JSON.parse(m.payload.toString())),
      );
      expect(predictions.map((p) => p.seq)).toEqual(expected);
      const restart = JSON.parse(await service.waitForLine(/new feature window/)) as Record<string, unknown>;
      expect(restart).toMatchObject({ level: 40, pump_id: 'it8', seq: 4 + RESTART_AFTER - 1 });
      const metrics = await metricsOf(service);
      expect(metrics).toMatch(new RegExp(`^pdm_inference_out_of_order_total ${RESTART_AFTER - 1}$`, 'm'));
      expect(metrics).toMatch(/^pdm_inference_window_restarts_total 1$/m);
      expect(metrics).toMatch(/^pdm_inference_duplicates_total 0$/m);
      // prom-client's process figures, on the service's own registry
      expect(metrics).toMatch(/^process_resident_memory_bytes \d+$/m);
      expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds [\d.e-]+$/m);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('keeps state for at most MAX_PUMPS pumps, dead-letters a newcomer beyond, and takes it once silent pumps are forgotten', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-it-9', [], {
      MAX_PUMPS: '3',
      PUMP_IDLE_EVICT_S: '3',
    });
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-it-9-sender' });
    try {
      const fleet = fleetTelemetry(['it9-a', 'it9-b', 'it9-c', 'it9-new'], 4);
      const newcomer = (s: Telemetry) => s.pump_id === 'it9-new';
      // The three first pumps' samples come first: by the newcomer's, three pumps are tracked.
      await publishAll(publisher, [...fleet.filter((s) => !newcomer(s)), ...fleet.filter(newcomer)]);
      await service.whileRunning(recorder.waitFor(12));
      const letters = await untilDeadLetters(service, 4);
      expect(letters.map((l) => [l.reason, l.topic])).toEqual(
        Array(4).fill(['too_many_pumps', topics.telemetry('it9-new')]),
      );
      let metrics = await metricsOf(service);
      expect(metrics).toMatch(/^pdm_inference_pumps_refused_total 4$/m);
      expect(metrics).toMatch(/^pdm_inference_pumps_tracked 3$/m);

      // Once the three have been silent for PUMP_IDLE_EVICT_S, they are forgotten and the newcomer is in.
      await service.waitForLine(/forgot pumps silent/);
      await publishAll(publisher, fleetTelemetry(['it9-new'], 4, 4));
      const predictions = (
        await service
          .whileRunning(recorder.waitFor(4, (m) => m.topic.endsWith('/it9-new')))
          .catch((err: Error) => {
            throw new Error(`${err.message}\ninference's log:\n${service.stdout().slice(-4000)}`);
          })
      ).map((m) => predictionSchema.parse(JSON.parse(m.payload.toString())));
      expect(predictions.map((p) => p.seq)).toEqual([4, 5, 6, 7]);
      metrics = await metricsOf(service);
      expect(metrics).toMatch(/^pdm_inference_pumps_evicted_total 3$/m);
      expect(metrics).toMatch(/^pdm_inference_pumps_tracked 1$/m);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });
});

/** The samples as gateway messages: one per time step, the pumps' rows together, each gateway of `size`. */
function gatewayMessages(gatewayPrefix: string, samples: Telemetry[], size: number): [string, string][] {
  const byTs = new Map<number, Telemetry[]>();
  for (const s of samples) byTs.set(s.ts, [...(byTs.get(s.ts) ?? []), s]);
  const messages: [string, string][] = [];
  for (const [ts, rows] of byTs) {
    for (let g = 0; g * size < rows.length; g++) {
      const id = `${gatewayPrefix}-${g}`;
      const part = rows.slice(g * size, (g + 1) * size).map(encodeGatewayRow);
      messages.push([topics.gateway_telemetry(id), encodeGatewayTelemetry(id, ts, part)]);
    }
  }
  return messages;
}

/** Each pump's predicted seqs, sorted: 0, 1, 2, … when each sample was predicted once. */
function seqsByPump(predictions: Prediction[]): Map<string, number[]> {
  const perPump = new Map<string, number[]>();
  for (const p of predictions) perPump.set(p.pump_id, [...(perPump.get(p.pump_id) ?? []), p.seq]);
  for (const seqs of perPump.values()) seqs.sort((a, b) => a - b);
  return perPump;
}

const parsePredictions = (messages: { payload: Buffer }[]) =>
  messages.map((m) => predictionSchema.parse(JSON.parse(m.payload.toString())));

describe('inference with gateway telemetry, against a real Mosquitto', () => {
  it('predicts a gateway message’s good rows and dead-letters its bad row with its reason', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-gw-1');
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-gw-1-sender' });
    try {
      const gateway = 'gw1-skid';
      const [a, b, c] = fleetTelemetry(['gw1-a', 'gw1-b', 'gw1-c'], 1) as [Telemetry, Telemetry, Telemetry];
      const badRow = encodeGatewayRow({ ...b, flow: -5 });
      const payload = encodeGatewayTelemetry(gateway, a.ts, [
        encodeGatewayRow(a),
        badRow,
        encodeGatewayRow(c),
      ]);
      await publisher.publishAsync(topics.gateway_telemetry(gateway), payload, { qos: 1 });
      const predictions = parsePredictions(await service.whileRunning(recorder.waitFor(2)));
      expect(predictions.map((p) => `${p.pump_id}#${p.seq}`).sort()).toEqual(['gw1-a#0', 'gw1-c#0']);
      const letters = await untilDeadLetters(service, 1);
      expect(letters.map((l) => [l.reason, l.topic])).toEqual([
        ['out_of_range', topics.gateway_telemetry(gateway)],
      ]);
      expect(letters[0]?.detail).toMatch(/^rows\[1\] flow: /);
      const metrics = await metricsOf(service);
      expect(metrics).toContain('pdm_inference_invalid_total{reason="out_of_range"} 1');
      expect(metrics).toContain('pdm_inference_messages_total{kind="gateway_telemetry"} 1');
      expect(metrics).toMatch(/^pdm_inference_gateway_rows_total 3$/m);
      // Nothing more comes: the bad row has no prediction.
      await new Promise((r) => setTimeout(r, 300));
      expect(recorder.messages).toHaveLength(2);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('predicts a per-pump fleet and a gateway fleet side by side, each sample once, a redelivered batch not again', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-gw-2');
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-gw-2-sender' });
    try {
      const solo = fleetTelemetry(['gw2-solo-a', 'gw2-solo-b', 'gw2-solo-c'], 40);
      const skid = fleetTelemetry(
        Array.from({ length: 12 }, (_, i) => `gw2-skid-${i}`),
        40,
      );
      const batches = gatewayMessages('gw2', skid, 5);
      await Promise.all([
        publishAll(publisher, solo),
        ...batches.map(([topic, payload]) => publisher.publishAsync(topic, payload, { qos: 1 })),
      ]);
      const total = solo.length + skid.length;
      const predictions = parsePredictions(await service.whileRunning(recorder.waitFor(total)));
      const perPump = seqsByPump(predictions);
      expect(perPump.size).toBe(15);
      for (const seqs of perPump.values()) expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i));
      // A gateway that missed its PUBACK sends the batch again: its rows are duplicates, not predicted again.
      const [topic, payload] = batches[0] as [string, string];
      await publisher.publishAsync(topic, payload, { qos: 1 });
      await publishAll(publisher, fleetTelemetry(['gw2-solo-a'], 1, 40));
      await service.whileRunning(recorder.waitFor(total + 1));
      await new Promise((r) => setTimeout(r, 300));
      expect(recorder.messages).toHaveLength(total + 1);
      const metrics = await metricsOf(service);
      expect(metrics).toContain(
        `pdm_inference_messages_total{kind="gateway_telemetry"} ${batches.length + 1}`,
      );
      expect(metrics).toContain(`pdm_inference_messages_total{kind="telemetry"} ${solo.length + 1}`);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('with two replicas, keeps each gateway’s pumps in the replica its gateway id hashes to, and every pump in one', async () => {
    const replicas = [0, 1].map((r) =>
      inference(join(models, 'good.onnx'), `inf-gw-3-${r}`, ['--replicas', '2', '--replica', String(r)]),
    );
    for (const r of replicas) await r.waitForLine(/inference running/);
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-gw-3-sender' });
    try {
      const pumps = Array.from({ length: 40 }, (_, i) => `gw3-${i}`);
      const samples = fleetTelemetry(pumps, 10);
      const batches = gatewayMessages('gw3', samples, 5);
      for (const [topic, payload] of batches) await publisher.publishAsync(topic, payload, { qos: 1 });
      const deadline = Date.now() + 30_000;
      const total = () => replicas.reduce((n, r) => n + logRows(r, 'jsonl').length, 0);
      while (total() < samples.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const pumpsOf = (r: RunningService) =>
        new Set(logRows(r, 'jsonl').map((l) => (JSON.parse(l) as { pump_id: string }).pump_id));
      const [a, b] = replicas.map(pumpsOf) as [Set<string>, Set<string>];
      expect([...a].filter((p) => b.has(p))).toEqual([]);
      expect(new Set([...a, ...b])).toEqual(new Set(pumps));
      expect(total()).toBe(samples.length);
      // Gateway gw3-g holds pumps 5g … 5g+4: they are where gw3-g hashes to, whatever their own ids hash to.
      for (let g = 0; g < 8; g++) {
        const owner = ownsPump(`gw3-${g}`, 2, 0) ? a : b;
        for (const p of pumps.slice(g * 5, g * 5 + 5)) expect(owner.has(p)).toBe(true);
      }
    } finally {
      await publisher.endAsync();
    }
  });

  it('predicts every pump of the production simulator’s --gateway-size fleet, every sample once, and scores every one against the gateway’s batched ground truth', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-gw-4');
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    try {
      const sim = startService(
        'production-simulator',
        [
          '--pumps',
          '30',
          '--id-prefix',
          'gw4',
          '--gateway-size',
          '8',
          '--interval-ms',
          '100',
          '--duration',
          '3',
        ],
        { MQTT_URL: broker.url, MQTT_CLIENT_ID: 'inf-gw-4-sim' },
      );
      running.push(sim);
      expect(await service.whileRunning(sim.exited)).toBe(0);
      const summary = sim.logs().find((l) => l.msg === 'production run complete') as {
        samples: number;
        telemetrySent: number;
        gatewayMessagesSent: number;
        groundTruthSent: number;
      };
      // 30 pumps in gateways of 8: 4 gateway messages per interval, of telemetry and of ground truth
      expect(summary.gatewayMessagesSent).toBeGreaterThan(0);
      expect(summary.telemetrySent).toBe((summary.gatewayMessagesSent / 4) * 30);
      expect(summary.groundTruthSent).toBe(summary.gatewayMessagesSent);
      const predictions = parsePredictions(
        await service.whileRunning(recorder.waitFor(summary.telemetrySent)),
      );
      const perPump = seqsByPump(predictions);
      expect([...perPump.keys()].sort()).toEqual(
        Array.from({ length: 30 }, (_, i) => `gw4-${String(i + 1).padStart(5, '0')}`).sort(),
      );
      for (const seqs of perPump.values()) expect(seqs).toEqual(seqs.map((_, i) => i));
      // Every sample's prediction meets its truth, which came in its gateway's ground-truth message.
      expect(await service.whileRunning(untilScored(service, summary.samples))).toBe(summary.samples);
      const metrics = await metricsOf(service);
      expect(metrics).toContain(
        `pdm_inference_messages_total{kind="gateway_groundtruth"} ${summary.groundTruthSent}`,
      );
      expect(metrics).toContain('pdm_inference_messages_total{kind="groundtruth"} 0');
      expect(deadLetters(service)).toEqual([]);
    } finally {
      await recorder.close();
    }
  });

  it('scores a gateway ground-truth message’s good rows and dead-letters its bad row with its reason', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-gw-5');
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-gw-5-sender' });
    try {
      const gateway = 'gw5-skid';
      const pumps = ['gw5-a', 'gw5-b', 'gw5-c'];
      const samples = fleetTelemetry(pumps, 1) as [Telemetry, Telemetry, Telemetry];
      const ts = samples[0].ts;
      const truthRows = samples.map((t) =>
        encodeGatewayTruthRow({
          pump_id: t.pump_id,
          ts,
          seq: t.seq,
          state: 'HEALTHY',
          health_pct: 99.5,
          rul_h: 900,
          failure_mode: 'BEARING_WEAR',
          lifecycle: 0,
          chaos: [],
        }),
      );
      truthRows[1] = (truthRows[1] as string).replace('99.50', '250');
      await publisher.publishAsync(
        topics.gateway_groundtruth(gateway),
        encodeGatewayGroundTruth(gateway, ts, truthRows),
        { qos: 1 },
      );
      await publisher.publishAsync(
        topics.gateway_telemetry(gateway),
        encodeGatewayTelemetry(gateway, ts, samples.map(encodeGatewayRow)),
        { qos: 1 },
      );
      await service.whileRunning(recorder.waitFor(3));
      // The neighbours are scored; the bad row's pump has a prediction but no truth to meet it.
      expect(await service.whileRunning(untilScored(service, 2))).toBe(2);
      const letters = await untilDeadLetters(service, 1);
      expect(letters.map((l) => [l.reason, l.topic])).toEqual([
        ['out_of_range', topics.gateway_groundtruth(gateway)],
      ]);
      expect(letters[0]?.detail).toMatch(/^rows\[1\] health_pct: /);
      const metrics = await metricsOf(service);
      expect(metrics).toContain('pdm_inference_messages_total{kind="gateway_groundtruth"} 1');
      expect(metrics).toContain('pdm_inference_invalid_total{reason="out_of_range"} 1');
      expect(metrics).toMatch(/^pdm_inference_scored_total 2$/m);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });
});

describe('inference with a RUL model, against a real Mosquitto', () => {
  const rulModel = () => join(models, 'rul.onnx');

  it('adds a smoothed rul_h and the RUL model’s version to every prediction, and to the CSV log', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-rul-1', [], { RUL_MODEL_PATH: rulModel() });
    const loaded = JSON.parse(await service.waitForLine(/"msg":"RUL model loaded"/)) as { version: string };
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-rul-1-sender' });
    try {
      const samples = degradingPump('rul1', 11).telemetry;
      await publishAll(publisher, samples);
      const predictions = (await service.whileRunning(recorder.waitFor(samples.length))).map((m) =>
        predictionSchema.parse(JSON.parse(m.payload.toString())),
      );
      expect(new Set(predictions.map((p) => p.rul_model_version))).toEqual(new Set([loaded.version]));
      expect(predictions.every((p) => p.rul_h !== undefined && p.rul_h >= 0)).toBe(true);
      // The pump wears out: its RUL at the end is well below its RUL at the start.
      const rul = predictions.map((p) => p.rul_h as number);
      expect(rul.at(-1)).toBeLessThan((rul[0] as number) / 2);
      await untilLogged(service, samples.length);
      const last = predictions.at(-1) as Prediction;
      const row = logRows(service, 'csv').find((l) => l.startsWith(`${last.ts},rul1,${last.seq},`));
      expect(row?.split(',').slice(-2)).toEqual([String(last.rul_h), loaded.version]);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('refuses a RUL model that does not fit, says why, counts it, and predicts states without RUL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-rul-refuse-'));
    const rulPath = join(dir, 'pump-rul.onnx');
    // The state classifier where the RUL model belongs: the wrong task.
    await writeTestModel(rulPath, { seed: 4, trees: 3 });
    const service = inference(join(models, 'good.onnx'), 'inf-rul-2', [], { RUL_MODEL_PATH: rulPath });
    const refused = JSON.parse(await service.waitForLine(/"msg":"refused the RUL model file"/)) as {
      problem: string;
    };
    expect(refused.problem).toMatch(/is a classification model, not a regression model/);
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-rul-2-sender' });
    try {
      // A regressor of other features as the replacement: refused too.
      await writeRulTestModel(rulPath, { seed: 4, trees: 2, featureNames: [...FEATURE_NAMES].reverse() });
      await service.waitForLine(/"msg":"refused the new RUL model file; no RUL model serves"/);
      const samples = fleetTelemetry(['rul2-a', 'rul2-b'], 30);
      await publishAll(publisher, samples);
      const predictions = (await service.whileRunning(recorder.waitFor(samples.length))).map((m) =>
        predictionSchema.parse(JSON.parse(m.payload.toString())),
      );
      expect(predictions.filter((p) => 'rul_h' in p || 'rul_model_version' in p)).toEqual([]);
      const metrics = await metricsOf(service);
      expect(metrics).toMatch(/^pdm_inference_rul_model_loads_total\{result="refused"\} 2$/m);
      expect(metrics).toMatch(/^pdm_inference_rul_model_loads_total\{result="loaded"\} 0$/m);
      const refusals = service.logs().filter((l) => String(l.msg).startsWith('refused the'));
      expect(refusals.map((l) => l.problem)).toEqual([
        expect.stringMatching(/is a classification model/),
        expect.stringMatching(/was trained on other features/),
      ]);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('starts without a RUL model, serves one as soon as it appears, and reloads a replacement', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-rul-hot-'));
    const rulPath = join(dir, 'pump-rul.onnx');
    const service = inference(join(models, 'good.onnx'), 'inf-rul-3', [], { RUL_MODEL_PATH: rulPath });
    await service.waitForLine(/"msg":"no RUL model: served once one appears there/);
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-rul-3-sender' });
    const predictionsOf = (pump: string) =>
      recorder.messages
        .filter((m) => m.topic.endsWith(`/${pump}`))
        .map((m) => predictionSchema.parse(JSON.parse(m.payload.toString())));
    try {
      await publishAll(publisher, fleetTelemetry(['rul3-before'], 10));
      await service.whileRunning(recorder.waitFor(10));
      expect(predictionsOf('rul3-before').every((p) => p.rul_h === undefined)).toBe(true);

      await writeRulTestModel(rulPath, { seed: 5, trees: 4 });
      const first = JSON.parse(await service.waitForLine(/"msg":"RUL model none → /)) as { to: string };
      await publishAll(publisher, fleetTelemetry(['rul3-first'], 10));
      await service.whileRunning(recorder.waitFor(20));
      expect(new Set(predictionsOf('rul3-first').map((p) => p.rul_model_version))).toEqual(
        new Set([first.to]),
      );

      await writeRulTestModel(rulPath, { seed: 6, trees: 4 });
      const second = JSON.parse(await service.waitForLine(/"msg":"RUL model .*#.* → /)) as {
        from: string;
        to: string;
      };
      expect(second.from).toBe(first.to);
      expect(second.to).not.toBe(first.to);
      await publishAll(publisher, fleetTelemetry(['rul3-second'], 10));
      await service.whileRunning(recorder.waitFor(30));
      expect(new Set(predictionsOf('rul3-second').map((p) => p.rul_model_version))).toEqual(
        new Set([second.to]),
      );
      // "absent" was said once, at info, and is no error
      const absent = service.logs().filter((l) => String(l.msg).startsWith('no RUL model'));
      expect(absent.map((l) => l.level)).toEqual([30]);
      expect(service.logs().filter((l) => (l.level as number) >= 50)).toEqual([]);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });

  it('raises rul_low once when a wearing pump’s RUL falls below ALERT_RUL_H, and not again while it stays low', async () => {
    const belowH = 0.01; // 36 s, on the STRESS clock's mean life of 150 s
    const service = inference(
      join(models, 'good.onnx'),
      'inf-rul-4',
      // re-armed only above 100 × the threshold: nothing a worn pump reaches, so one crossing, one alert
      ['--alert-rul-h', String(belowH), '--alert-rul-rearm', '100'],
      { RUL_MODEL_PATH: rulModel() },
    );
    await service.waitForLine(/inference running/);
    const alerts = await recordMessages(broker.url, 'pdm/v1/alerts/+');
    const predictions = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-rul-4-sender' });
    try {
      const samples = degradingPump('rul4', 9, 40).telemetry;
      await publishAll(publisher, samples);
      await service.whileRunning(predictions.waitFor(samples.length));
      await new Promise((r) => setTimeout(r, 500));
      const rulLow = alerts.messages
        .map((m) => alertSchema.parse(JSON.parse(m.payload.toString())))
        .filter((a) => a.kind === 'rul_low');
      expect(rulLow).toHaveLength(1);
      const alert = rulLow[0] as (typeof rulLow)[number];
      expect(alert.evidence.rul_h).toBeLessThan(belowH);
      expect(alert.previous_state).toBe(alert.state);
      // It came with the first prediction whose smoothed RUL was below the threshold...
      const served = predictions.messages.map((m) =>
        predictionSchema.parse(JSON.parse(m.payload.toString())),
      );
      const firstLow = served.find((p) => (p.rul_h as number) < belowH);
      expect(alert.seq).toBe(firstLow?.seq);
      expect(alert.evidence.rul_h).toBe(firstLow?.rul_h);
      // ...and the RUL stayed low after it for more than a few samples.
      expect(served.filter((p) => p.seq > alert.seq && (p.rul_h as number) < belowH).length).toBeGreaterThan(
        5,
      );
    } finally {
      await alerts.close();
      await predictions.close();
      await publisher.endAsync();
    }
  });

  it('reports the live RUL MAE and RMSE on /metrics as computed by hand from predictions and truths', async () => {
    const service = inference(join(models, 'good.onnx'), 'inf-rul-5', [], { RUL_MODEL_PATH: rulModel() });
    await service.waitForLine(/inference running/);
    const recorder = await recordMessages(broker.url, 'pdm/v1/predictions/+');
    const publisher = await mqtt.connectAsync(broker.url, { clientId: 'inf-rul-5-sender' });
    try {
      const { telemetry, truth } = degradingPump('rul5', 12);
      // The truths first, and all of them in before the telemetry: every prediction finds its truth.
      await Promise.all(
        truth.map((t) =>
          publisher.publishAsync(topics.groundtruth(t.pump_id), JSON.stringify(t), { qos: 1 }),
        ),
      );
      const deadline = Date.now() + 30_000;
      while (
        !(await metricsOf(service)).includes(
          `pdm_inference_messages_total{kind="groundtruth"} ${truth.length}`,
        )
      ) {
        if (Date.now() > deadline) throw new Error('the ground truth did not arrive');
        await new Promise((r) => setTimeout(r, 100));
      }
      await publishAll(publisher, telemetry);
      const predictions = (await service.whileRunning(recorder.waitFor(telemetry.length))).map((m) =>
        predictionSchema.parse(JSON.parse(m.payload.toString())),
      );
      const truthBySeq = new Map(truth.map((t) => [t.seq, t.rul_h]));
      const errors = predictions.map((p) => (p.rul_h as number) - (truthBySeq.get(p.seq) as number));
      const mae = errors.reduce((sum, e) => sum + Math.abs(e), 0) / errors.length;
      const rmse = Math.sqrt(errors.reduce((sum, e) => sum + e * e, 0) / errors.length);
      const metrics = await metricsOf(service);
      const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
      expect(gauge('pdm_inference_rul_scored_total')).toBe(telemetry.length);
      expect(gauge('pdm_inference_rul_mae_hours')).toBeCloseTo(mae, 9);
      expect(gauge('pdm_inference_rul_rmse_hours')).toBeCloseTo(rmse, 9);
      expect(mae).toBeGreaterThan(0);
      expect(rmse).toBeGreaterThanOrEqual(mae);
    } finally {
      await recorder.close();
      await publisher.endAsync();
    }
  });
});
