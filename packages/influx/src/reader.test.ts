import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LabelledSample } from '@pdm/contract';
import { type FakeInflux, freePort, startFakeInflux } from '@pdm/testkit';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { InfluxTarget } from './http.ts';
import { encodeSample } from './line-protocol.ts';
import { fluxString } from './query.ts';
import { queryTelemetry, type TelemetryQuery } from './reader.ts';
import { roundTripSuite } from './round-trip.suite.ts';
import { influxFailure, sample } from './testing/index.ts';
import { createInfluxWriter } from './writer.ts';

let fake: FakeInflux;
let target: InfluxTarget;

beforeEach(async () => {
  fake = await startFakeInflux();
  target = { url: fake.url, token: fake.token, org: fake.org, bucket: fake.bucket };
});

afterEach(async () => {
  await fake.stop();
});

async function collect(query: TelemetryQuery = {}, from: InfluxTarget = target): Promise<LabelledSample[]> {
  const rows: LabelledSample[] = [];
  for await (const row of queryTelemetry(from, query)) rows.push(row);
  return rows;
}

describe('queryTelemetry against the fake InfluxDB', () => {
  roundTripSuite(() => target);

  it('yields the first rows while InfluxDB is still sending the rest', async () => {
    const lines = Array.from({ length: 50 }, (_, i) =>
      encodeSample(sample('P-1', 1_700_000_000_000 + i * 1000)),
    );
    await createInfluxWriter({ ...target, timeoutMs: 5_000 }).write(lines);
    const hold = fake.holdQueryAfter(10);
    const rows = queryTelemetry(target, {})[Symbol.asyncIterator]();
    const first = await rows.next();
    // the server is stopped at row 10 of 50 until released: the first row came from a partial answer
    await hold.reached;
    expect(first.value).toMatchObject({ pump_id: 'P-1', ts: 1_700_000_000_000 });
    hold.release();
    let count = 1;
    while (!(await rows.next()).done) count++;
    expect(count).toBe(50);
    // a reader that waited for the whole answer would hang at the first next(): fail fast instead
  }, 10_000);

  it('asks nothing and yields nothing for an empty pump list', async () => {
    expect(await collect({ pumps: [] })).toEqual([]);
    expect(fake.requests()).toEqual([]);
  });

  it('refuses an until that is not after since before asking the server', async () => {
    const at = new Date('2024-01-01T00:00:00Z');
    const err = await influxFailure(collect({ since: at, until: at }));
    expect(err.code).toBe('invalid_argument');
    expect(fake.requests()).toEqual([]);
  });

  it('reports a refused token as unauthorized, with the status', async () => {
    const err = await influxFailure(collect({}, { ...target, token: 'wrong' }));
    expect(err).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(err.message).toContain('unauthorized access');
  });

  it('reports an unknown bucket as not_found', async () => {
    const err = await influxFailure(collect({}, { ...target, bucket: 'nope' }));
    expect(err).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('reports a server that is not there as unreachable, naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const err = await influxFailure(collect({}, { ...target, url }));
    expect(err.code).toBe('unreachable');
    expect(err.message).toContain(url);
    expect(err.cause).toBeDefined();
  });

  it('reports a 503 as unavailable', async () => {
    fake.failNext(1, { status: 503 });
    expect((await influxFailure(collect())).code).toBe('unavailable');
  });

  it('refuses a row whose state is not one of PUMP_STATES', async () => {
    const line = encodeSample(sample('P-1', 1_700_000_000_000)).replace(
      ' 1700000000000',
      ',state="NAPPING" 1700000000000',
    );
    await createInfluxWriter({ ...target, timeoutMs: 5_000 }).write([line]);
    const err = await influxFailure(collect());
    expect(err.code).toBe('bad_response');
    expect(err.message).toContain('NAPPING');
  });

  it('escapes Flux strings: backslash, double quote and the ${ of interpolation', () => {
    const interpolation = '$' + '{d}';
    expect(fluxString(`a\\b"c${interpolation}$e`)).toBe(`"a\\\\b\\"c\\${interpolation}$e"`);
  });
});

describe('queryTelemetry when a query fails after the answer started', () => {
  it('throws query_failed with the error InfluxDB wrote into the stream', async () => {
    // InfluxDB has sent 200 and some rows when the failure happens, so it reports it as a CSV table.
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      res.end(
        '#datatype,string,long,string\r\n#group,true,true,false\r\n#default,,,\r\n,error,reference\r\n' +
          ',"runtime error: out of memory",\r\n\r\n',
      );
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const err = await influxFailure(collect({}, { url, token: 't', org: 'o', bucket: 'b' }));
    expect(err.code).toBe('query_failed');
    expect(err.message).toContain('runtime error: out of memory');
  });
});
