/**
 * Gateway telemetry (many pumps to a message, pdm/v1/gateway/<gateway_id>/telemetry) into acquisition,
 * with a real Mosquitto and a real SQLite file: row by row, acknowledged whole, stored once.
 */
import { join } from 'node:path';
import { encodeGatewayRow, encodeGatewayTelemetry, type Telemetry, topics } from '@pdm/contract';
import { SampleStore } from '@pdm/store';
import { type RunningService, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import {
  brokerForFile,
  metricsOf,
  storePath,
  waitForCount,
  waitForMetrics,
  waitForRows,
} from './testing/acquisition-run.ts';

const broker = brokerForFile();

function acquisition(clientId: string, cwd?: string): RunningService {
  const service = startService(
    'acquisition',
    ['--http-port', '0', '--durability', 'normal'],
    { MQTT_URL: broker.url, MQTT_CLIENT_ID: clientId },
    cwd ? { cwd } : {},
  );
  return broker.track(service);
}

function storedKeys(path: string): string[] {
  const store = SampleStore.open(path, { readonly: true });
  const keys = [...store.iterate()].map((s) => `${s.pump_id}#${s.seq}`);
  store.close();
  return keys;
}

function deadLetters(path: string): ReturnType<SampleStore['deadLetters']> {
  const store = SampleStore.open(path, { readonly: true });
  const letters = store.deadLetters();
  store.close();
  return letters;
}

const TS = 1_767_225_600_000;

function sample(pump: string, seq: number, changes: Partial<Telemetry> = {}): Telemetry {
  return {
    pump_id: pump,
    ts: TS + seq * 1000,
    seq,
    vibration_x: 1.4,
    vibration_y: 1.2,
    vibration_z: 0.8,
    vibration_rms: 1.17,
    temperature: 56.6,
    pressure: 6.3,
    flow: 117,
    current: 56.4,
    rpm: 2957.7,
    ...changes,
  };
}

async function publish(messages: [topic: string, payload: string][]): Promise<void> {
  const client = await mqtt.connectAsync(broker.url, {
    clientId: `gateway-publisher-${Math.random().toString(36).slice(2, 8)}`,
    protocolVersion: 5,
  });
  try {
    for (const [topic, payload] of messages) await client.publishAsync(topic, payload, { qos: 1 });
  } finally {
    await client.endAsync();
  }
}

/** The production simulator in gateway mode; resolves with its summary once every message is acknowledged. */
async function gatewayFleet(args: string[], clientId: string, running?: Promise<unknown>) {
  const sim = startService('production-simulator', ['--no-ground-truth', ...args], {
    MQTT_URL: broker.url,
    MQTT_CLIENT_ID: clientId,
  });
  if (running) await sim.whileRunning(running);
  expect(await sim.exited).toBe(0);
  const summary = sim.logs().find((l) => l.msg === 'production run complete') as {
    telemetrySent: number;
    gatewayMessagesSent: number;
    acknowledged: number;
  };
  expect(summary.acknowledged).toBe(summary.gatewayMessagesSent || summary.telemetrySent);
  return summary;
}

/** Each pump's seqs, sorted: 0, 1, 2, … when nothing was lost or stored twice. */
function seqsByPump(keys: string[]): Map<string, number[]> {
  const perPump = new Map<string, number[]>();
  for (const k of keys) {
    const [pump, seq] = k.split('#') as [string, string];
    perPump.set(pump, [...(perPump.get(pump) ?? []), Number(seq)]);
  }
  for (const seqs of perPump.values()) seqs.sort((a, b) => a - b);
  return perPump;
}

describe('acquisition with gateway telemetry', () => {
  it('dead-letters a bad row with its reason and stores its neighbours', async () => {
    const acq = acquisition('acq-gw-1');
    await acq.waitForLine(/"subscribed"/);
    const gateway = 'skid-a';
    const badRow = encodeGatewayRow(sample('pump-b', 0, { flow: -5 }));
    const rows = [encodeGatewayRow(sample('pump-a', 0)), badRow, encodeGatewayRow(sample('pump-c', 0))];
    await publish([
      [topics.gateway_telemetry(gateway), encodeGatewayTelemetry(gateway, TS, rows)],
      // A message whose topic and payload name different gateways is refused whole.
      [topics.gateway_telemetry('skid-b'), encodeGatewayTelemetry(gateway, TS + 1000, rows)],
    ]);
    await waitForCount(storePath(acq), (s) => s.deadLetters().length, 2, 'dead letters', acq);
    expect(storedKeys(storePath(acq)).sort()).toEqual(['pump-a#0', 'pump-c#0']);
    const letters = deadLetters(storePath(acq));
    expect(letters.map((l) => [l.reason, l.topic])).toEqual([
      ['out_of_range', topics.gateway_telemetry(gateway)],
      ['gateway_mismatch', topics.gateway_telemetry('skid-b')],
    ]);
    // The row as parsed, written out again: the payload's own bytes of one row are not kept apart.
    expect(JSON.parse(letters[0]?.payload.toString() ?? '')).toEqual(JSON.parse(badRow));
    expect(letters[0]?.detail).toMatch(/^rows\[1\] flow: /);
    const metrics = await metricsOf(acq);
    expect(metrics).toContain('pdm_acquisition_invalid_total{reason="out_of_range"} 1');
    expect(metrics).toContain('pdm_acquisition_invalid_total{reason="gateway_mismatch"} 1');
    expect(metrics).toContain('pdm_acquisition_received_total{kind="gateway_telemetry"} 1');
    expect(metrics).toMatch(/^pdm_acquisition_gateway_samples_total 3$/m);
    expect(metrics).toMatch(/^pdm_acquisition_stored_total 2$/m);
  });

  it('stores a batch sent again (a gateway that missed its PUBACK resends) once, counting duplicates', async () => {
    const acq = acquisition('acq-gw-2');
    await acq.waitForLine(/"subscribed"/);
    const gateway = 'skid-c';
    const payload = encodeGatewayTelemetry(
      gateway,
      TS,
      ['p-1', 'p-2', 'p-3', 'p-4'].map((p) => encodeGatewayRow(sample(p, 0))),
    );
    await publish([
      [topics.gateway_telemetry(gateway), payload],
      [topics.gateway_telemetry(gateway), payload],
    ]);
    const metrics = await waitForMetrics(acq, /^pdm_acquisition_duplicates_total 4$/m);
    expect(metrics).toMatch(/^pdm_acquisition_stored_total 4$/m);
    expect(storedKeys(storePath(acq)).sort()).toEqual(['p-1#0', 'p-2#0', 'p-3#0', 'p-4#0']);
    expect(deadLetters(storePath(acq))).toEqual([]);
  });

  it('loses nothing and stores nothing twice when killed with kill -9 while gateway batches stream, and takes the batches sent while it was down', async () => {
    let acq = acquisition('acq-gw-3');
    const cwd = acq.cwd;
    const path = join(cwd, 'data/pdm.sqlite');
    await acq.waitForLine(/"subscribed"/);
    // 40 pumps in gateways of 8, every 50 ms for 8 s: 160 batches of 8, 6,400 samples.
    const fleet = gatewayFleet(
      ['--pumps', '40', '--gateway-size', '8', '--interval-ms', '50', '--duration', '8', '--seed', '3'],
      'sim-gw-3',
    );
    for (let kill = 0; kill < 2; kill++) {
      await waitForRows(path, 1 + kill * 1500, acq);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
      acq.signal('SIGKILL');
      await acq.exited;
      // Batches arrive while it is down: the broker queues them in its persistent session.
      await new Promise((r) => setTimeout(r, 500));
      acq = acquisition('acq-gw-3', cwd);
    }
    const summary = await fleet;
    expect(summary.gatewayMessagesSent).toBe(5 * 160);
    await waitForRows(path, summary.telemetrySent, acq);
    const keys = storedKeys(path);
    expect(keys).toHaveLength(summary.telemetrySent);
    const perPump = seqsByPump(keys);
    expect(perPump.size).toBe(40);
    for (const seqs of perPump.values()) expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('takes per-pump topics and gateway topics side by side, on one broker', async () => {
    const acq = acquisition('acq-gw-4');
    await acq.waitForLine(/"subscribed"/);
    const common = ['--interval-ms', '100', '--duration', '3'];
    const [solo, skid] = await Promise.all([
      gatewayFleet(['--pumps', '12', '--id-prefix', 'solo', ...common], 'sim-gw-solo'),
      gatewayFleet(
        ['--pumps', '30', '--id-prefix', 'skid', '--gateway-size', '10', ...common],
        'sim-gw-skid',
      ),
    ]);
    expect(solo.gatewayMessagesSent).toBe(0);
    expect(skid.gatewayMessagesSent).toBe(3 * 30);
    await waitForRows(storePath(acq), solo.telemetrySent + skid.telemetrySent, acq);
    const perPump = seqsByPump(storedKeys(storePath(acq)));
    expect([...perPump.keys()].filter((p) => p.startsWith('solo-'))).toHaveLength(12);
    expect([...perPump.keys()].filter((p) => p.startsWith('skid-'))).toHaveLength(30);
    for (const seqs of perPump.values()) expect(seqs).toEqual(seqs.map((_, i) => i));
    const metrics = await metricsOf(acq);
    expect(metrics).toContain(`pdm_acquisition_received_total{kind="telemetry"} ${solo.telemetrySent}`);
    expect(metrics).toContain(
      `pdm_acquisition_received_total{kind="gateway_telemetry"} ${skid.gatewayMessagesSent}`,
    );
  });
});
