/**
 * The dashboard service with STORE=influxdb, as a process on a real Mosquitto, reading the fake InfluxDB
 * of @pdm/testkit: what acquisition wrote there reaches the fleet view and the API, and an InfluxDB that
 * fails makes the store's routes answer 503 while the service goes on.
 */
import { resolve } from 'node:path';
import type { Alert, Prediction } from '@pdm/contract';
import { createInfluxWriter, encodeSample } from '@pdm/influx';
import { alert, alertLine, prediction, predictionLine, sample, targetOf } from '@pdm/influx/testing';
import {
  type FakeInflux,
  freePort,
  type Mosquitto,
  type RunningService,
  startFakeInflux,
  startMosquitto,
  startService,
} from '@pdm/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AlertsResponse,
  ErrorResponse,
  FleetResponse,
  ModelResponse,
  PredictionsResponse,
  SeriesResponse,
} from '../api/contract.ts';

const MODEL = resolve(import.meta.dirname, '../../../../models/pump-state.onnx');
// A recent whole minute: inside the lookback of the fleet fill and the model history.
const T = Math.floor(Date.now() / 60_000) * 60_000 - 600_000;

describe('the dashboard service on InfluxDB', () => {
  let broker: Mosquitto;
  let influx: FakeInflux;
  let dashboard: RunningService;
  let url: string;

  const predictions: Prediction[] = [
    prediction('P-1', T, { state: 'WARNING', model_version: 'rf#1' }),
    prediction('P-1', T + 1000, { state: 'FAULTY', model_version: 'rf#2' }),
    prediction('P-2', T + 500, { state: 'HEALTHY', model_version: 'rf#2' }),
  ];
  const alerts: Alert[] = [
    alert('P-1', T + 1000, { model_version: 'rf#2' }),
    alert('P-2', T, { model_version: 'rf#1' }),
    alert('P-2', T + 500, { kind: 'recovered', state: 'HEALTHY', previous_state: 'FAULTY' }),
  ];

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(new URL(path, url));
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    influx = await startFakeInflux({ buckets: ['pdm'] });
    const writer = createInfluxWriter({ ...targetOf(influx), timeoutMs: 5_000 });
    const lines = [
      ...[0, 1000, 2000].map((dt) => encodeSample(sample('P-1', T + dt))),
      ...predictions.map(predictionLine),
      ...alerts.map(alertLine),
    ];
    expect(await writer.write(lines)).toEqual({ kind: 'ok' });
    dashboard = startService('dashboard', ['--http-port', '0'], {
      MQTT_URL: broker.url,
      STORE: 'influxdb',
      INFLUX_URL: influx.url,
      INFLUX_TOKEN: influx.token,
      INFLUX_ORG: influx.org,
      MODEL_PATH: MODEL,
      METRICS_URLS: `acquisition=http://127.0.0.1:${await freePort()}/metrics`,
    });
    const listening = await dashboard.waitForLine(/"dashboard listening"/, 60_000);
    url = (JSON.parse(listening) as { url: string }).url;
  }, 90_000);

  afterAll(async () => {
    if (dashboard && dashboard.child.exitCode === null) {
      dashboard.signal('SIGKILL');
      await dashboard.exited;
    }
    await influx?.stop();
    await broker?.stop();
  });

  it('fills the fleet view with each pump’s latest stored prediction', async () => {
    await dashboard.waitForLine(/"fleet view filled from the store"/, 30_000);
    const fleet = await get<FleetResponse>('/api/fleet?sort=id');
    expect(fleet.body.pumps.map((p) => [p.id, p.state, p.ts, p.modelVersion])).toEqual([
      ['P-1', 'FAULTY', T + 1000, 'rf#2'],
      ['P-2', 'HEALTHY', T + 500, 'rf#2'],
    ]);
  });

  it('answers a pump’s series, last predictions, the alerts and the model history from InfluxDB', async () => {
    const series = await get<SeriesResponse>(`/api/pumps/P-1/series?from=${T}&to=${T + 2000}`);
    expect(series.status).toBe(200);
    expect(series.body.t).toEqual([T, T + 1000]);
    expect(series.body.max.flow).toEqual([sample('P-1', T).flow, sample('P-1', T + 1000).flow]);

    const last = await get<PredictionsResponse>(`/api/pumps/P-1/predictions?before=${T + 5000}&limit=5`);
    expect(last.body.rows.map((r) => [r.ts, r.state, r.modelVersion])).toEqual([
      [T + 1000, 'FAULTY', 'rf#2'],
      [T, 'WARNING', 'rf#1'],
    ]);

    const alertsNow = await get<AlertsResponse>('/api/alerts');
    expect(alertsNow.body.open.map((a) => [a.pumpId, a.ts, a.kind])).toEqual([['P-1', T + 1000, 'alarm']]);
    expect(alertsNow.body.history.map((a) => [a.pumpId, a.ts, a.kind])).toEqual([
      ['P-1', T + 1000, 'alarm'],
      ['P-2', T + 500, 'recovered'],
      ['P-2', T, 'alarm'],
    ]);
    expect(alertsNow.body.open[0]?.evidence).toEqual({
      rawStates: alerts[0]?.evidence.raw_states,
      probabilities: alerts[0]?.evidence.probabilities,
      vibrationRms: alerts[0]?.evidence.vibration_rms,
      isoZone: alerts[0]?.evidence.iso_zone,
      temperature: alerts[0]?.evidence.temperature,
    });

    const model = await get<ModelResponse>('/api/model');
    expect(model.body.history).toEqual([
      { version: 'rf#1', firstSeen: T, lastSeen: T },
      { version: 'rf#2', firstSeen: T + 500, lastSeen: T + 1000 },
    ]);
  });

  it('answers 503 while InfluxDB fails, and the store’s answers again once it is back', async () => {
    influx.failNext(1, { status: 503, message: 'shutting down' });
    const down = await get<ErrorResponse>(`/api/pumps/P-1/predictions?before=${T + 5000}`);
    expect(down.status).toBe(503);
    expect(down.body.problems.join(' ')).toContain('shutting down');
    const back = await get<PredictionsResponse>(`/api/pumps/P-1/predictions?before=${T + 5000}`);
    expect(back.status).toBe(200);
    expect(back.body.rows).toHaveLength(2);
  });
});
