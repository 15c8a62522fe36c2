/**
 * Start-up check of an InfluxDB target, so a service fails with a message that names the problem:
 * the URL unreachable, the token refused, or the org or bucket missing.
 */
import { codeForStatus, InfluxError } from './errors.ts';
import { apiUrl, describeFetchFailure, type InfluxTarget, serverMessage } from './http.ts';

export interface InfluxHealth {
  /** as /health reports it, e.g. `v2.8.0`; undefined when the server does not say */
  readonly version: string | undefined;
}

/**
 * Resolves when the server is ready and the token can see the bucket; otherwise rejects with an
 * InfluxError: `unreachable` or `timeout` (the message names the URL), `unavailable`, `unauthorized`,
 * `not_found`, or `bad_response` for something that is not InfluxDB 2.x.
 *
 * The bucket lookup needs read access to it: a token that may only write cannot see its bucket in the
 * list, and is reported as `not_found`.
 */
export async function pingInflux(target: InfluxTarget, timeoutMs = 5_000): Promise<InfluxHealth> {
  // /health needs no token, so a failure here is about the server, never about credentials.
  const health = await getJson(apiUrl(target.url, '/health'), undefined, timeoutMs);
  if (health.status !== 200) {
    const code = health.status === 404 ? 'bad_response' : codeForStatus(health.status);
    throw new InfluxError(
      code,
      `${target.url} is not a ready InfluxDB 2.x: GET /health answered ${health.status}: ${health.message}`,
      {
        status: health.status,
      },
    );
  }
  const version = fieldOf(health.json, 'version');

  const buckets = await getJson(
    apiUrl(target.url, '/api/v2/buckets', { org: target.org, name: target.bucket }),
    target.token,
    timeoutMs,
  );
  if (buckets.status !== 200) {
    const code = codeForStatus(buckets.status);
    const what =
      code === 'unauthorized'
        ? 'refused the token'
        : code === 'not_found'
          ? `has no org "${target.org}"`
          : 'failed';
    throw new InfluxError(code, `InfluxDB at ${target.url} ${what}: ${buckets.message}`, {
      status: buckets.status,
    });
  }
  const list = fieldOf(buckets.json, 'buckets');
  if (!Array.isArray(list)) {
    throw new InfluxError(
      'bad_response',
      `InfluxDB at ${target.url} answered the bucket lookup without a list`,
    );
  }
  if (list.length === 0) {
    throw new InfluxError(
      'not_found',
      `InfluxDB at ${target.url} has no bucket "${target.bucket}" in org "${target.org}" that this token can read`,
    );
  }
  return { version: typeof version === 'string' ? version : undefined };
}

interface JsonAnswer {
  readonly status: number;
  readonly json: unknown;
  /** the server's message for a failure, for error texts */
  readonly message: string;
}

async function getJson(url: string, token: string | undefined, timeoutMs: number): Promise<JsonAnswer> {
  try {
    const response = await fetch(url, {
      headers: token === undefined ? {} : { authorization: `Token ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json, message: serverMessage(text, response.headers, response.status) };
  } catch (err) {
    const failure = describeFetchFailure(err, url, timeoutMs);
    throw new InfluxError(failure.code, `InfluxDB: ${failure.message}`, { cause: err });
  }
}

function fieldOf(json: unknown, key: string): unknown {
  return typeof json === 'object' && json !== null ? (json as Record<string, unknown>)[key] : undefined;
}
