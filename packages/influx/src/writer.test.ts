import { type FakeInflux, freePort, startFakeInflux } from '@pdm/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeSample } from './line-protocol.ts';
import { sample } from './testing/fixtures.ts';
import { createInfluxWriter, type InfluxWriterOptions } from './writer.ts';

let fake: FakeInflux;
let options: InfluxWriterOptions;

beforeEach(async () => {
  fake = await startFakeInflux();
  options = { url: fake.url, token: fake.token, org: fake.org, bucket: fake.bucket, timeoutMs: 5_000 };
});

afterEach(async () => {
  await fake.stop();
});

const LINES = [1, 2, 3].map((i) => encodeSample(sample(`P-${i}`, 1_700_000_000_000 + i * 1000)));

describe('createInfluxWriter', () => {
  it('answers ok once InfluxDB has stored the batch (204)', async () => {
    expect(await createInfluxWriter(options).write(LINES)).toEqual({ kind: 'ok' });
    expect(fake.stats()).toMatchObject({ pointsStored: 3, byStatus: { 204: 1 } });
  });

  it('sends the batch gzipped, with millisecond precision', async () => {
    await createInfluxWriter(options).write(LINES);
    const [request] = fake.requests();
    expect(request).toMatchObject({ path: '/api/v2/write', contentEncoding: 'gzip' });
    expect(request?.bytes).toBeLessThan(LINES.join('\n').length);
    expect(fake.rawLines()).toEqual(LINES);
    expect(fake.points()[0]?.time).toBe(1_700_000_001_000n * 1_000_000n);
  });

  it('compresses at the level it is given', async () => {
    const big = Array.from({ length: 500 }, (_, i) =>
      encodeSample(sample('P-1', 1_700_000_000_000 + i * 1000)),
    );
    await createInfluxWriter({ ...options, gzipLevel: 0 }).write(big);
    await createInfluxWriter({ ...options, gzipLevel: 9 }).write(big);
    const [stored, squeezed] = fake.requests().map((r) => r.bytes);
    expect(squeezed).toBeLessThan((stored as number) / 3);
  });

  it('leaves one point per sample when the same batch is written twice', async () => {
    const writer = createInfluxWriter(options);
    await writer.write(LINES);
    const first = fake.points();
    expect(await writer.write(LINES)).toEqual({ kind: 'ok' });
    expect(fake.points()).toEqual(first);
  });

  it('sends nothing for an empty batch', async () => {
    expect(await createInfluxWriter(options).write([])).toEqual({ kind: 'ok' });
    expect(fake.requests()).toEqual([]);
  });

  it("rejects a batch InfluxDB cannot parse, with InfluxDB's message", async () => {
    const outcome = await createInfluxWriter(options).write([
      LINES[0] as string,
      'pump_telemetry,pump_id=P-1 flow=',
    ]);
    expect(outcome).toEqual({
      kind: 'rejected',
      status: 400,
      message: "unable to parse 'pump_telemetry,pump_id=P-1 flow=': missing field value",
    });
    expect(fake.stats().pointsStored).toBe(0);
  });

  it.each([
    ['a wrong token', { token: 'wrong' }, 401, 'unauthorized access'],
    ['an unknown org', { org: 'elsewhere' }, 404, 'organization name "elsewhere" not found'],
    ['an unknown bucket', { bucket: 'elsewhere' }, 404, 'bucket "elsewhere" not found'],
  ])(
    'rejects a batch sent with %s, with the status that tells configuration from data',
    async (_, change, status, message) => {
      expect(await createInfluxWriter({ ...options, ...change }).write(LINES)).toEqual({
        kind: 'rejected',
        status,
        message,
      });
    },
  );

  it('rejects a field that changes type (422)', async () => {
    const writer = createInfluxWriter(options);
    await writer.write(LINES);
    const outcome = await writer.write([(LINES[0] as string).replace(/seq=(\d+)i/, 'seq=$1.5')]);
    expect(outcome).toMatchObject({ kind: 'rejected', status: 422 });
  });

  it('asks for a retry after the pause a 429 names in Retry-After', async () => {
    fake.failNext(1, { status: 429, retryAfterS: 30, message: 'too many writes' });
    expect(await createInfluxWriter(options).write(LINES)).toEqual({
      kind: 'retry',
      status: 429,
      reason: 'HTTP 429: too many writes',
      retryAfterMs: 30_000,
    });
  });

  it('asks for a retry on a 503, and the retried batch goes through', async () => {
    fake.failNext(1, { status: 503 });
    const writer = createInfluxWriter(options);
    const outcome = await writer.write(LINES);
    expect(outcome).toMatchObject({ kind: 'retry', status: 503 });
    expect(outcome).not.toHaveProperty('retryAfterMs');
    expect(fake.stats().pointsStored).toBe(0);
    expect(await writer.write(LINES)).toEqual({ kind: 'ok' });
    expect(fake.stats().pointsStored).toBe(3);
  });

  it('asks for a retry when nothing listens, naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const outcome = await createInfluxWriter({ ...options, url }).write(LINES);
    expect(outcome).toMatchObject({ kind: 'retry' });
    expect(outcome).not.toHaveProperty('status');
    expect(outcome.kind === 'retry' && outcome.reason).toMatch(
      new RegExp(`^cannot reach ${url}/api/v2/write.*ECONNREFUSED`),
    );
  });

  it('asks for a retry when InfluxDB does not answer in time', async () => {
    fake.delayNext(1, 60_000);
    const outcome = await createInfluxWriter({ ...options, timeoutMs: 200 }).write(LINES);
    expect(outcome).toMatchObject({ kind: 'retry' });
    expect(outcome.kind === 'retry' && outcome.reason).toContain('did not answer within 200 ms');
  });
});
