/** Talking to a fake InfluxDB over HTTP, for this folder's tests. */
import { onTestFinished } from 'vitest';
import { type FakeInflux, type FakeInfluxOptions, startFakeInflux } from './server.ts';

/** A fake that stops when the test finishes, pass or fail. */
export async function startFake(options?: FakeInfluxOptions): Promise<FakeInflux> {
  const fake = await startFakeInflux(options);
  onTestFinished(() => fake.stop());
  return fake;
}

export function write(
  fake: FakeInflux,
  body: string | Buffer,
  { precision = 'ms', token = fake.token, bucket = fake.bucket, org = fake.org, headers = {} } = {},
): Promise<Response> {
  const query = new URLSearchParams({ org, bucket, precision });
  return fetch(`${fake.url}/api/v2/write?${query}`, {
    method: 'POST',
    headers: { authorization: `Token ${token}`, ...headers },
    body,
  });
}

export function query(
  fake: FakeInflux,
  flux: string,
  annotations = ['datatype', 'group', 'default'],
): Promise<Response> {
  return fetch(`${fake.url}/api/v2/query?org=${fake.org}`, {
    method: 'POST',
    headers: { authorization: `Token ${fake.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: flux, type: 'flux', dialect: { header: true, annotations } }),
  });
}

/** InfluxDB's error body, `{"code": …, "message": …}`. */
export async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return (await response.json()) as { code: string; message: string };
}
