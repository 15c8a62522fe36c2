/**
 * Sends one batch of line protocol to InfluxDB 2.x and says what happened. No retries, no buffer: the
 * forwarder owns backoff and the durable backlog (the SQLite outbox), so a batch is sent exactly once
 * per call and the outcome says whether to mark it forwarded, try again, or set it aside.
 *
 * Why fetch and not @influxdata/influxdb-client: its WriteApi buffers and retries on its own, which
 * would hide failures from the outbox; its transport gzips at zlib's default level 6 with no way to
 * choose, which costs about 29 ms per 5,000-line batch here against 9 ms at level 1 (a 170k points/s
 * ceiling from compression alone); and its HttpError reads Retry-After as milliseconds where InfluxDB
 * sends seconds. fetch gives the exact status, headers and body with less code than working around that.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { apiUrl, describeFetchFailure, type InfluxTarget, parseRetryAfter, serverMessage } from './http.ts';
import { PRECISION } from './line-protocol.ts';

export interface InfluxWriterOptions extends InfluxTarget {
  /** for the whole request, body included; past it the outcome is `retry` */
  readonly timeoutMs: number;
  /** zlib level of the request body, 1 unless a benchmark says otherwise */
  readonly gzipLevel?: number;
}

/**
 * - `ok`: InfluxDB has the points (2xx); mark the rows forwarded.
 * - `retry`: nothing was stored or we cannot know (network, timeout, 408, 429, 5xx); send the same
 *   batch again, not before `retryAfterMs` when the server asked for a pause. Rewriting is harmless.
 * - `rejected`: the server refused this request (3xx, other 4xx). 400 and 422 mean the data: set the
 *   batch aside. 401, 403 and 404 mean the token, org or bucket: stop forwarding rather than discard.
 *   413 means the batch is too large: split it.
 */
export type WriteOutcome =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'retry';
      readonly status?: number;
      readonly reason: string;
      readonly retryAfterMs?: number;
    }
  | { readonly kind: 'rejected'; readonly status: number; readonly message: string };

export interface InfluxWriter {
  /** lines without newlines, as encodeSample returns them; about 5,000 per call */
  write(lines: readonly string[]): Promise<WriteOutcome>;
}

/**
 * Line protocol compresses about 4.5:1 at level 1 and 5.3:1 at level 6, but level 6 takes three times as
 * long; on a LAN the CPU is the scarcer resource.
 */
export const GZIP_LEVEL = 1;

const OK: WriteOutcome = { kind: 'ok' };
const gzipAsync = promisify(gzip);

export function createInfluxWriter(options: InfluxWriterOptions): InfluxWriter {
  const endpoint = apiUrl(options.url, '/api/v2/write', {
    org: options.org,
    bucket: options.bucket,
    precision: PRECISION,
  });
  const headers = {
    authorization: `Token ${options.token}`,
    'content-type': 'text/plain; charset=utf-8',
    'content-encoding': 'gzip',
  };
  const level = options.gzipLevel ?? GZIP_LEVEL;

  return {
    async write(lines) {
      if (lines.length === 0) return OK;
      // zlib runs on libuv's thread pool, so the event loop keeps taking telemetry meanwhile.
      const body = await gzipAsync(lines.join('\n'), { level });
      let status: number;
      let text: string;
      let responseHeaders: Headers;
      try {
        const response = await fetch(endpoint, {
          method: 'POST',
          headers,
          body,
          // a redirected POST would be replayed as a GET, or not at all; report it instead
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        status = response.status;
        responseHeaders = response.headers;
        // read the body even on success, so the connection goes back to the pool
        text = await response.text();
      } catch (err) {
        return { kind: 'retry', reason: describeFetchFailure(err, endpoint, options.timeoutMs).message };
      }
      return classify(status, text, responseHeaders);
    },
  };
}

function classify(status: number, body: string, headers: Headers): WriteOutcome {
  if (status >= 200 && status < 300) return OK;
  const message = serverMessage(body, headers, status);
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
    const reason = `HTTP ${status}: ${message}`;
    return retryAfterMs === undefined
      ? { kind: 'retry', status, reason }
      : { kind: 'retry', status, reason, retryAfterMs };
  }
  return { kind: 'rejected', status, message };
}
