import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeInflux, freePort, startFakeInflux } from '@pdm/testkit';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { pingInflux } from './health.ts';
import type { InfluxTarget } from './http.ts';
import { influxFailure } from './testing/index.ts';

let fake: FakeInflux;
let target: InfluxTarget;

beforeEach(async () => {
  fake = await startFakeInflux();
  target = { url: fake.url, token: fake.token, org: fake.org, bucket: fake.bucket };
});

afterEach(async () => {
  await fake.stop();
});

describe('pingInflux', () => {
  it('resolves with the version when the server is ready and the token sees the bucket', async () => {
    expect(await pingInflux(target)).toEqual({ version: 'v2.8.0' });
  });

  it('tells an unreachable URL apart, and names it', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const err = await influxFailure(pingInflux({ ...target, url }));
    expect(err.code).toBe('unreachable');
    expect(err.message).toContain(url);
  });

  it('tells a refused token apart', async () => {
    const err = await influxFailure(pingInflux({ ...target, token: 'wrong' }));
    expect(err).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(err.message).toContain('refused the token');
  });

  it('tells a missing org and a missing bucket apart, by name', async () => {
    const noOrg = await influxFailure(pingInflux({ ...target, org: 'acme' }));
    expect(noOrg.code).toBe('not_found');
    expect(noOrg.message).toContain('has no org "acme"');
    const noBucket = await influxFailure(pingInflux({ ...target, bucket: 'archive' }));
    expect(noBucket.code).toBe('not_found');
    expect(noBucket.message).toContain('no bucket "archive"');
  });

  it('reports a server that is not ready as unavailable', async () => {
    fake.failNext(1, { status: 503 });
    expect((await influxFailure(pingInflux(target))).code).toBe('unavailable');
  });

  it('reports a timeout when the server does not answer', async () => {
    fake.delayNext(1, 60_000);
    expect((await influxFailure(pingInflux(target, 200))).code).toBe('timeout');
  });

  it('reports something that is not InfluxDB 2.x as bad_response', async () => {
    const server = createServer((_req, res) => res.writeHead(404).end('Not Found'));
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const err = await influxFailure(pingInflux({ ...target, url }));
    expect(err.code).toBe('bad_response');
    expect(err.message).toContain('GET /health answered 404');
  });
});
