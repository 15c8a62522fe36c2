/**
 * The InfluxDB history against the fake InfluxDB of @pdm/testkit (the real protocol, its own Flux):
 * points written with the line protocol acquisition writes, read back through the History port.
 */
import { Writable } from 'node:stream';
import type { Alert, Prediction } from '@pdm/contract';
import { createInfluxWriter, encodeSample } from '@pdm/influx';
import {
  alert,
  alertLine,
  collect,
  influxFailure,
  prediction,
  predictionLine,
  sample,
  targetOf,
} from '@pdm/influx/testing';
import { createLogger } from '@pdm/service-kit';
import { type FakeInflux, freePort, startFakeInflux } from '@pdm/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { History } from './history.ts';
import { createInfluxHistory } from './influx.ts';

let fake: FakeInflux;
let logs: Record<string, unknown>[];
let history: History;

function open(overrides: { url?: string; token?: string; timeoutMs?: number } = {}): History {
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ name: 'dashboard', level: 'info', to: { lines } });
  return createInfluxHistory({ ...targetOf(fake), timeoutMs: 5_000, ...overrides }, logger);
}

beforeEach(async () => {
  fake = await startFakeInflux();
  logs = [];
  history = open();
});

afterEach(async () => {
  await history.close();
  await fake.stop();
});

async function write(lines: readonly string[]): Promise<void> {
  const writer = createInfluxWriter({ ...targetOf(fake), timeoutMs: 5_000 });
  expect(await writer.write(lines)).toEqual({ kind: 'ok' });
}

// Recent, so that the 7-day lookbacks of the latest predictions and model history include it.
const T = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

describe('the InfluxDB history', () => {
  it('answers every question of the History port with what acquisition wrote', async () => {
    const predictions: Prediction[] = [
      prediction('P-1', T, { model_version: 'v1' }),
      prediction('P-1', T + 1000, { model_version: 'v1', state: 'FAULTY' }),
      prediction('P-1', T + 2000, { model_version: 'v2', probabilities: { HEALTHY: 0.5, WARNING: 0.5 } }),
      prediction('P-2', T + 1500, { model_version: 'v2', iso_zone: 'A' }),
    ];
    const alerts: Alert[] = [
      alert('P-1', T + 1000),
      alert('P-2', T + 500),
      alert('P-2', T + 1500, { kind: 'recovered', state: 'HEALTHY', previous_state: 'FAULTY' }),
    ];
    await write([
      ...[T, T + 1000, T + 2000].map((ts) => encodeSample(sample('P-1', ts))),
      encodeSample(sample('P-2', T)),
      ...predictions.map(predictionLine),
      ...alerts.map(alertLine),
    ]);
    const [p0, p1, p2, q0] = predictions as [Prediction, Prediction, Prediction, Prediction];
    const [a0, b0, b1] = alerts as [Alert, Alert, Alert];

    expect((await history.latestPredictions()).sort((x, y) => x.ts - y.ts)).toEqual([q0, p2]);
    expect(await collect(history.samples('P-1', T, T + 2000, ['rpm', 'vibration_x']))).toEqual([
      [T, 2950.1, sample('P-1', T).vibration_x],
      [T + 1000, 2950.1, sample('P-1', T + 1000).vibration_x],
    ]);
    expect(await collect(history.predictions('P-1', T + 1000, T + 3000))).toEqual([p1, p2]);
    expect(await history.lastPredictions('P-1', T + 2000, 5)).toEqual([p1, p0]);
    expect(await history.alerts({ limit: 10 })).toEqual([b1, a0, b0]);
    expect(await history.alerts({ pumpId: 'P-2', kind: 'alarm', limit: 10 })).toEqual([b0]);
    expect(await history.alerts({ fromMs: T + 600, toMs: T + 1500, limit: 10 })).toEqual([a0]);
    expect(await history.openAlarms()).toEqual([a0]);
    expect(await history.modelVersions()).toEqual([
      { version: 'v1', firstSeen: T, lastSeen: T + 1000 },
      { version: 'v2', firstSeen: T + 1500, lastSeen: T + 2000 },
    ]);
    expect(await history.deadLetters(10)).toBeUndefined();
    expect(history.description).toBe(`influxdb ${fake.url} org ${fake.org} bucket ${fake.bucket}`);
    expect(logs.filter((l) => (l.level as number) >= 40)).toEqual([]);
  });

  it('escapes a pump id that Flux would otherwise read as code', async () => {
    const interpolation = '$' + '{x}';
    const odd = `P-1" or r._measurement != "${interpolation}`;
    await write([
      encodeSample(sample(odd, T)),
      encodeSample(sample('P-1', T)),
      predictionLine(prediction(odd, T)),
      predictionLine(prediction('P-1', T)),
      alertLine(alert(odd, T)),
      alertLine(alert('P-1', T)),
    ]);
    expect(await collect(history.samples(odd, T, T + 1, ['flow']))).toEqual([[T, sample(odd, T).flow]]);
    expect(await collect(history.predictions(odd, T, T + 1))).toEqual([prediction(odd, T)]);
    expect(await history.lastPredictions(odd, T + 1, 10)).toEqual([prediction(odd, T)]);
    expect(await history.alerts({ pumpId: odd, limit: 10 })).toEqual([alert(odd, T)]);
  });

  it('answers empty from an empty store', async () => {
    expect(await history.latestPredictions()).toEqual([]);
    expect(await collect(history.samples('P-1', T, T + 60_000, ['rpm']))).toEqual([]);
    expect(await collect(history.predictions('P-1', T, T + 60_000))).toEqual([]);
    expect(await history.lastPredictions('P-1', T, 10)).toEqual([]);
    expect(await history.alerts({ limit: 10 })).toEqual([]);
    expect(await history.openAlarms()).toEqual([]);
    expect(await history.modelVersions()).toEqual([]);
  });

  it('streams samples: the first rows arrive while InfluxDB is still sending the rest', async () => {
    await write(Array.from({ length: 50 }, (_, i) => encodeSample(sample('P-1', T + i * 1000))));
    const hold = fake.holdQueryAfter(10);
    const rows = history.samples('P-1', T, T + 60_000, ['rpm'])[Symbol.asyncIterator]();
    const first = await rows.next();
    // the fake stops after 10 of 50 rows until released: the first row came from a partial answer
    await hold.reached;
    expect(first.value).toEqual([T, 2950.1]);
    hold.release();
    let count = 1;
    while (!(await rows.next()).done) count++;
    expect(count).toBe(50);
  });

  it('skips a stored row the contract does not allow, and logs it once with the count', async () => {
    const bad = (ts: number) => predictionLine(prediction('P-1', ts)).replace('iso_zone="C"', 'iso_zone="Q"');
    await write([predictionLine(prediction('P-1', T)), bad(T + 1000), bad(T + 2000)]);
    expect(await collect(history.predictions('P-1', T, T + 3000))).toEqual([prediction('P-1', T)]);
    const warnings = logs.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      component: 'influx-history',
      query: 'predictions',
      skipped: 2,
      err: { message: expect.stringContaining('has unknown iso_zone "Q"') },
    });
  });
});

describe('the InfluxDB history when InfluxDB fails', () => {
  it('rejects with unauthorized when InfluxDB refuses the token (401)', async () => {
    const wrong = open({ token: 'not-the-token' });
    expect(await influxFailure(wrong.latestPredictions())).toMatchObject({
      code: 'unauthorized',
      status: 401,
    });
    const err = await influxFailure(collect(wrong.samples('P-1', T, T + 1000, ['rpm'])));
    expect(err.code).toBe('unauthorized');
  });

  it('rejects with unavailable on a 500, and answers again once InfluxDB does', async () => {
    await write([alertLine(alert('P-1', T))]);
    fake.failNext(1, { status: 500, message: 'storage is on fire' });
    const err = await influxFailure(history.openAlarms());
    expect(err).toMatchObject({ code: 'unavailable', status: 500 });
    expect(err.message).toContain('storage is on fire');
    expect(await history.openAlarms()).toEqual([alert('P-1', T)]);
  });

  it('rejects with bad_request and InfluxDB’s message when it refuses a query (400)', async () => {
    fake.failNext(1, { status: 400, message: 'compilation failed: error @1:1-1:2: undefined identifier x' });
    const err = await influxFailure(history.lastPredictions('P-1', T, 10));
    expect(err).toMatchObject({ code: 'bad_request', status: 400 });
    expect(err.message).toContain('undefined identifier x');
  });

  it('rejects with timeout when InfluxDB stays silent longer than timeoutMs', async () => {
    fake.delayNext(1, 5_000);
    const err = await influxFailure(collect(open({ timeoutMs: 200 }).predictions('P-1', T, T + 1000)));
    expect(err.code).toBe('timeout');
  });

  it('rejects with unreachable, naming the URL, when nothing listens there', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const err = await influxFailure(open({ url }).alerts({ limit: 10 }));
    expect(err.code).toBe('unreachable');
    expect(err.message).toContain(url);
  });
});
