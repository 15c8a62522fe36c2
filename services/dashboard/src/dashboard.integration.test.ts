import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type Alert,
  type Prediction,
  type PumpState,
  type Status,
  type Telemetry,
  topics,
} from '@pdm/contract';
import { freePort, type Mosquitto, type RunningService, startMosquitto, startService } from '@pdm/testkit';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AlertRow,
  FleetDelta,
  FleetResponse,
  PipelineResponse,
  PredictionRow,
  SeriesPoint,
  ServiceStatus,
} from './api/contract.ts';
import { openEventStream } from './testing/event-stream.ts';

const MODEL = resolve(import.meta.dirname, '../../../models/pump-state.onnx');
const NOW = Date.now();
const XSS_ID = '<img src=x onerror=alert(1)>';

function prediction(pumpId: string, seq: number, state: PumpState, risk: number): Prediction {
  return {
    pump_id: pumpId,
    ts: NOW + seq * 1000,
    seq,
    state,
    raw_state: state,
    probabilities: { HEALTHY: 1 - risk, WARNING: 0, FAULTY: risk, BROKEN: 0 },
    vibration_rms: 3.1,
    iso_zone: 'B',
    model_version: 'test#00000000',
    latency_ms: 2.5,
  };
}

function telemetry(pumpId: string, seq: number): Telemetry {
  return {
    pump_id: pumpId,
    ts: NOW + seq * 1000,
    seq,
    vibration_x: 3,
    vibration_y: 3.2,
    vibration_z: 3.1,
    vibration_rms: 3.1,
    temperature: 61,
    pressure: 4.2,
    flow: 120,
    current: 31,
    rpm: 2950,
  };
}

describe('the dashboard service, on a real Mosquitto', () => {
  let broker: Mosquitto;
  let dashboard: RunningService;
  let url: string;
  let publisher: MqttClient;
  let cwd: string;

  const publish = (topic: string, body: unknown, retain = false) =>
    publisher.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1, retain });
  const getJson = async <T>(path: string): Promise<T> =>
    (await fetch(new URL(path, url))).json() as Promise<T>;

  beforeAll(async () => {
    broker = await startMosquitto();
    cwd = mkdtempSync(join(tmpdir(), 'pdm-dashboard-it-'));
    dashboard = startService(
      'dashboard',
      ['--http-port', '0'],
      {
        MQTT_URL: broker.url,
        // acquisition has not created it: the dashboard waits for it and serves the live views meanwhile
        SQLITE_PATH: join(cwd, 'data/pdm.sqlite'),
        MODEL_PATH: MODEL,
        METRICS_URLS: `acquisition=http://127.0.0.1:${await freePort()}/metrics`,
      },
      { cwd },
    );
    const listening = await dashboard.waitForLine(/"dashboard listening"/, 60_000);
    url = (JSON.parse(listening) as { url: string }).url;
    await dashboard.waitForLine(/"subscribed"/);
    publisher = await mqtt.connectAsync(broker.url, {
      clientId: 'dashboard-test-publisher',
      protocolVersion: 5,
    });
  }, 90_000);

  afterAll(async () => {
    await publisher?.endAsync();
    if (dashboard && dashboard.child.exitCode === null) {
      dashboard.signal('SIGKILL');
      await dashboard.exited;
    }
    await broker?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('shows published predictions on /api/fleet, and streams the changed tiles and an alert', async () => {
    const stream = await openEventStream(new URL('/api/events', url).href);
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await publish(topics.predictions('pump-a'), prediction('pump-a', 1, 'FAULTY', 0.9));
      await publish(topics.predictions('pump-b'), prediction('pump-b', 1, 'HEALTHY', 0.05));

      // The two may land in one delta or in two, by when the second's tick comes.
      const tileOf = (id: string) => (d: FleetDelta) => d.tiles.some((t) => t[0] === id);
      const delta = await stream.next<FleetDelta>('fleet', tileOf('pump-a'));
      await stream.next<FleetDelta>('fleet', tileOf('pump-b'));
      expect(delta.tiles.find((t) => t[0] === 'pump-a')).toEqual(['pump-a', 'FAULTY', 0.9, NOW + 1000]);
      expect(delta.counts.FAULTY).toBe(1);

      const fleet = await getJson<FleetResponse>('/api/fleet');
      expect(fleet.pumps.map((p) => [p.id, p.tile])).toEqual([
        ['pump-a', 'FAULTY'],
        ['pump-b', 'HEALTHY'],
      ]);
      expect(fleet.pumps[0]).toMatchObject({ risk: 0.9, isoZone: 'B', modelVersion: 'test#00000000' });
      expect((await getJson<FleetResponse>('/api/fleet?state=HEALTHY')).pumps.map((p) => p.id)).toEqual([
        'pump-b',
      ]);

      const alert: Alert = {
        pump_id: 'pump-a',
        ts: NOW + 1000,
        seq: 1,
        kind: 'alarm',
        state: 'FAULTY',
        previous_state: 'WARNING',
        model_version: 'test#00000000',
        evidence: {
          raw_states: ['WARNING', 'FAULTY', 'FAULTY'],
          probabilities: { FAULTY: 0.9 },
          vibration_rms: 3.1,
          iso_zone: 'B',
          temperature: 61,
        },
      };
      await publish(topics.alerts('pump-a'), alert);
      const row = await stream.next<AlertRow>('alert');
      expect(row).toMatchObject({ pumpId: 'pump-a', kind: 'alarm', previousState: 'WARNING' });
      expect(row.evidence.rawStates).toEqual(['WARNING', 'FAULTY', 'FAULTY']);
    } finally {
      stream.close();
    }
  });

  it('streams a pump’s own samples and predictions to a page watching it, and service status changes', async () => {
    const stream = await openEventStream(new URL('/api/events?pump=pump-c', url).href);
    try {
      // The first fleet event holds every tile: the page starts from it.
      await stream.next<FleetDelta>('fleet');
      await publish(topics.telemetry('pump-c'), telemetry('pump-c', 5));
      await publish(topics.predictions('pump-c'), prediction('pump-c', 5, 'WARNING', 0.2));
      const sample = await stream.next<SeriesPoint>('sample');
      expect(sample).toEqual({
        t: NOW + 5000,
        values: expect.objectContaining({ rpm: 2950, temperature: 61 }),
      });
      expect(await stream.next<PredictionRow>('prediction')).toMatchObject({
        pumpId: 'pump-c',
        state: 'WARNING',
      });

      const status: Status = { service: 'inference', status: 'online', ts: NOW, client_id: 'inference' };
      await publish(topics.status('inference'), status, true);
      expect(await stream.next<ServiceStatus>('status')).toEqual({
        service: 'inference',
        status: 'online',
        since: NOW,
      });
      const pipeline = await getJson<PipelineResponse>('/api/pipeline');
      expect(pipeline.services).toEqual([
        { service: 'acquisition', status: 'unknown', since: 0 },
        { service: 'inference', status: 'online', since: NOW },
      ]);
      expect(pipeline.scrape).toEqual([expect.objectContaining({ ok: false })]);
    } finally {
      stream.close();
    }
  });

  it('counts an unreadable message, and lists it on /api/pipeline with its topic verbatim', async () => {
    const topic = `pdm/v1/predictions/${XSS_ID}`;
    await publish(topic, prediction('pump-x', 1, 'HEALTHY', 0));
    await publish(topics.alerts('pump-d'), '{"pump_id": "pump-d", "kind": "alarm"');
    await dashboard.waitForLine(/"reason":"truncated"/);

    const pipeline = await getJson<PipelineResponse>('/api/pipeline');
    expect(pipeline.invalidOnBus.map((m) => [m.topic, m.reason])).toEqual([
      [topics.alerts('pump-d'), 'truncated'],
      [topic, 'unknown_topic'],
    ]);
    const metrics = await (await fetch(new URL('/metrics', url))).text();
    expect(metrics).toMatch(/^pdm_dashboard_invalid_total\{reason="unknown_topic"\} 1$/m);
    expect(metrics).toMatch(/^pdm_dashboard_invalid_total\{reason="truncated"\} 1$/m);
    // The fleet view took nothing from it.
    expect((await getJson<FleetResponse>('/api/fleet')).pumps.map((p) => p.id)).not.toContain('pump-x');
  });

  it('reports MQTT and the missing store on /healthz, and serves the model report', async () => {
    expect(await getJson('/healthz')).toMatchObject({
      status: 'ok',
      mqtt: 'connected',
      history: expect.stringMatching(/no SQLite store at/),
    });
    const model = await getJson<{ serving: { version: string } | null }>('/api/model');
    expect(model.serving?.version).toMatch(/#[0-9a-f]{8}$/);
  });

  it('stops within seconds on SIGTERM, with an event stream open, and ends the stream', async () => {
    const stream = await openEventStream(new URL('/api/events', url).href);
    await stream.next('fleet');
    dashboard.signal('SIGTERM');
    expect(await dashboard.exited).toBe(0);
    await stream.ended;
  });
});
