import { freePort } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';
import { dashboardSuite } from './dashboard.suite.ts';
import {
  queryAlerts,
  queryLastPredictions,
  queryModelVersions,
  queryOpenAlarms,
  queryPredictions,
  querySamples,
} from './dashboard-reader.ts';
import { InfluxError } from './errors.ts';
import {
  alert,
  alertLine,
  collect,
  fakeInfluxPerTest,
  influxFailure,
  prediction,
  predictionLine,
} from './testing/index.ts';
import { createInfluxWriter } from './writer.ts';

const { fake, target } = fakeInfluxPerTest();

async function write(lines: readonly string[]): Promise<void> {
  expect(await createInfluxWriter({ ...target(), timeoutMs: 5_000 }).write(lines)).toEqual({ kind: 'ok' });
}

const T = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const range = { pumpId: 'P-1', fromMs: T, toMs: T + 60_000 };

describe('the dashboard queries against the fake InfluxDB', () => {
  dashboardSuite(target);
});

describe('the dashboard reader, with rows the contract does not allow', () => {
  const napping = predictionLine(prediction('P-1', T + 1000)).replace('state="WARNING"', 'state="NAPPING"');

  it('skips a refused row and reports it when asked to, and keeps reading', async () => {
    await write([predictionLine(prediction('P-1', T)), napping, predictionLine(prediction('P-1', T + 2000))]);
    const refused: InfluxError[] = [];
    const rows = await collect(queryPredictions(target(), range, { onBadRow: (err) => refused.push(err) }));
    expect(rows.map((r) => r.ts)).toEqual([T, T + 2000]);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.code).toBe('bad_response');
    expect(refused[0]?.message).toMatch(/pump "P-1" at 2026-01-01T00:00:01Z has unknown state "NAPPING"/);
  });

  it('ends the stream at a refused row when nobody takes reports', async () => {
    await write([predictionLine(prediction('P-1', T)), napping]);
    expect((await influxFailure(collect(queryPredictions(target(), range)))).code).toBe('bad_response');
  });

  it('refuses an alert whose evidence is not JSON, or not the contract’s evidence', async () => {
    const good = alert('P-1', T);
    const notJson = alertLine(alert('P-1', T + 1000)).replace(
      /evidence="(?:[^"\\]|\\.)*"/,
      'evidence="{oops"',
    );
    const unlike = alertLine(
      alert('P-1', T + 2000, { evidence: { ...good.evidence, iso_zone: 'Z' as 'A' } }),
    );
    await write([alertLine(good), notJson, unlike]);
    const refused: string[] = [];
    const rows = await collect(
      queryAlerts(target(), { limit: 10 }, { onBadRow: (err) => refused.push(err.message) }),
    );
    expect(rows).toEqual([good]);
    expect(refused).toEqual([
      expect.stringMatching(/at 2026-01-01T00:00:02Z has evidence unlike the contract's: iso_zone/),
      expect.stringMatching(/at 2026-01-01T00:00:01Z has evidence that is not JSON: \{oops/),
    ]);
  });

  it('refuses a sample without one of the channels asked for', async () => {
    await write(['pump_telemetry,pump_id=P-1 rpm=2950,seq=1i 1767225600000']);
    const err = await influxFailure(collect(querySamples(target(), { ...range, channels: ['rpm', 'flow'] })));
    expect(err.message).toMatch(/has no number in "flow"/);
  });
});

describe('the dashboard reader, asked nothing or something impossible', () => {
  it('asks nothing for an empty range or a limit below 1', async () => {
    const empty = { pumpId: 'P-1', fromMs: T, toMs: T };
    expect(await collect(querySamples(target(), { ...empty, channels: ['rpm'] }))).toEqual([]);
    expect(await collect(queryPredictions(target(), empty))).toEqual([]);
    expect(await collect(queryLastPredictions(target(), { pumpId: 'P-1', beforeMs: T, limit: 0 }))).toEqual(
      [],
    );
    expect(await collect(queryAlerts(target(), { fromMs: T, toMs: T - 1, limit: 5 }))).toEqual([]);
    expect(await collect(queryAlerts(target(), { limit: 0 }))).toEqual([]);
    expect(fake().requests()).toEqual([]);
  });

  it('refuses a limit that is not an integer before asking the server', () => {
    let err: unknown;
    try {
      queryAlerts(target(), { limit: 2.5 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InfluxError);
    expect((err as InfluxError).code).toBe('invalid_argument');
    expect(fake().requests()).toEqual([]);
  });
});

describe('the dashboard reader when InfluxDB fails', () => {
  it('reports a refused token as unauthorized, with the status', async () => {
    const err = await influxFailure(collect(queryOpenAlarms({ ...target(), token: 'wrong' })));
    expect(err).toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('reports a 500 as unavailable, with the server’s message', async () => {
    fake().failNext(1, { status: 500, message: 'storage is on fire' });
    const err = await influxFailure(queryModelVersions(target()));
    expect(err).toMatchObject({ code: 'unavailable', status: 500 });
    expect(err.message).toContain('storage is on fire');
  });

  it('reports a server that is not there as unreachable, naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const err = await influxFailure(collect(queryPredictions({ ...target(), url }, range)));
    expect(err.code).toBe('unreachable');
    expect(err.message).toContain(url);
  });
});
