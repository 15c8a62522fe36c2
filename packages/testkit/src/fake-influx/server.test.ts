import { describe, expect, it } from 'vitest';
import { query, startFake, write } from './testing.ts';

describe('the fake InfluxDB fault injection', () => {
  it('answers the next requests with the injected status, then recovers', async () => {
    const fake = await startFake();
    fake.failNext(2, { status: 503 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await write(fake, `m v=${i} ${i}`)).status);
    expect(statuses).toEqual([503, 503, 204]);
    expect(fake.stats().byStatus).toEqual({ 503: 2, 204: 1 });
    expect(fake.stats().pointsStored).toBe(1);
  });

  it('sends Retry-After with an injected 429', async () => {
    const fake = await startFake();
    fake.failNext(1, { status: 429, retryAfterS: 7, message: 'slow down' });
    const response = await write(fake, 'm v=1 1');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(await response.json()).toEqual({ code: 'too many requests', message: 'slow down' });
  });

  it('fails every request inside a time window', async () => {
    const fake = await startFake();
    fake.failFor(60_000, { status: 500 });
    expect((await write(fake, 'm v=1 1')).status).toBe(500);
    expect((await fetch(`${fake.url}/health`)).status).toBe(500);
  });

  it('delays an answer until its time or until stop', async () => {
    const fake = await startFake();
    fake.delayNext(1, 60_000);
    const pending = write(fake, 'm v=1 1').catch((err: unknown) => err);
    // a delayed answer holds up nobody else
    expect((await write(fake, 'm v=2 2')).status).toBe(204);
    await fake.stop();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('holds a query answer mid-stream until released', async () => {
    const fake = await startFake();
    await write(fake, 'm v=1 1\nm v=2 2\nm v=3 3');
    const hold = fake.holdQueryAfter(1);
    const response = await query(fake, 'from(bucket: "telemetry") |> range(start: 0)', []);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await hold.reached;
    expect(first).toContain(',_result,0,');
    expect(first).not.toContain('1970-01-01T00:00:00.003Z');
    hold.release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toContain('1970-01-01T00:00:00.003Z');
  });
});

describe('the fake InfluxDB health endpoints', () => {
  it('answers /health with a passing check and /ping with 204 and the version', async () => {
    const fake = await startFake();
    const health = await fetch(`${fake.url}/health`);
    expect(await health.json()).toMatchObject({ name: 'influxdb', status: 'pass', version: 'v2.8.0' });
    const ping = await fetch(`${fake.url}/ping`);
    expect(ping.status).toBe(204);
    expect(ping.headers.get('x-influxdb-version')).toBe('v2.8.0');
  });

  it('lists a bucket by name for a valid token, and nothing for an unknown name', async () => {
    const fake = await startFake();
    const list = (name: string) =>
      fetch(`${fake.url}/api/v2/buckets?org=${fake.org}&name=${name}`, {
        headers: { authorization: `Token ${fake.token}` },
      }).then((r) => r.json() as Promise<{ buckets: { name: string }[] }>);
    expect((await list(fake.bucket)).buckets).toMatchObject([{ name: fake.bucket }]);
    expect((await list('nope')).buckets).toEqual([]);
  });
});
