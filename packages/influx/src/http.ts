/** HTTP details shared by the writer and the health check: URLs, server messages, failures, Retry-After. */

/** Where one InfluxDB lives and which bucket this adapter works on. */
export interface InfluxTarget {
  /** base URL, e.g. `http://localhost:8086`; a path prefix behind a reverse proxy is kept */
  readonly url: string;
  readonly token: string;
  /** organisation name (an org ID works too) */
  readonly org: string;
  readonly bucket: string;
}

/** `path` below the base URL, keeping a proxy prefix such as `/influx/`. */
export function apiUrl(base: string, path: string, params: Readonly<Record<string, string>> = {}): string {
  const url = new URL(path.replace(/^\//, ''), base.endsWith('/') ? base : `${base}/`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

/** Server messages can echo thousands of rejected lines; a log line needs the start. */
const MAX_MESSAGE_CHARS = 4000;

/**
 * The human part of an error answer: InfluxDB sends `{"code": …, "message": …}`; proxies send text or
 * HTML; some versions put it only in the X-Influxdb-Error header.
 */
export function serverMessage(body: string, headers: Headers, status: number): string {
  let message = body.trim();
  try {
    const json: unknown = JSON.parse(message);
    if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') {
      message = json.message;
    }
  } catch {
    // not JSON: keep the text as it is
  }
  if (message === '') message = headers.get('x-influxdb-error') ?? `HTTP ${status}`;
  return message.length > MAX_MESSAGE_CHARS
    ? `${message.slice(0, MAX_MESSAGE_CHARS)}… (${message.length - MAX_MESSAGE_CHARS} more characters)`
    : message;
}

/**
 * Retry-After in milliseconds: delay-seconds or an HTTP date (RFC 9110). The client library's HttpError
 * reads the number as milliseconds, which is why it is parsed here.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface FetchFailure {
  readonly code: 'timeout' | 'unreachable';
  readonly message: string;
}

/** What went wrong when fetch threw: our deadline, or no usable connection. */
export function describeFetchFailure(err: unknown, url: string, timeoutMs: number): FetchFailure {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return { code: 'timeout', message: `${url} did not answer within ${timeoutMs} ms` };
  }
  // undici wraps the socket error: TypeError('fetch failed', { cause: Error('connect ECONNREFUSED …') })
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const detail = cause instanceof Error ? cause.message : String(cause);
  return { code: 'unreachable', message: `cannot reach ${url}: ${detail}` };
}
