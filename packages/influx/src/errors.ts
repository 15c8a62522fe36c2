/** The one error type this package throws, with a code the caller can switch on. */

export const INFLUX_ERROR_CODES = [
  /** connection refused, DNS failure, reset: nothing came back from the URL */
  'unreachable',
  /** no complete answer within the configured time */
  'timeout',
  /** 401 or 403: the token is missing, wrong, or lacks the permission */
  'unauthorized',
  /** 404, or an empty bucket list: the org or bucket does not exist (for this token) */
  'not_found',
  /** 429 or 5xx, or /health not passing: try again later */
  'unavailable',
  /** any other 4xx: the server refused what was sent, e.g. a Flux error */
  'bad_request',
  /** a query that started streaming then failed on the server */
  'query_failed',
  /** an answer without the expected shape: a proxy, another product, a schema we did not write */
  'bad_response',
  /** a sample line protocol cannot carry: non-finite number, line break in the pump id */
  'invalid_sample',
  /** an argument this package refuses before any request, e.g. a pump id outside ID_PATTERN */
  'invalid_argument',
] as const;
export type InfluxErrorCode = (typeof INFLUX_ERROR_CODES)[number];

export class InfluxError extends Error {
  override readonly name = 'InfluxError';
  readonly code: InfluxErrorCode;
  /** HTTP status when the server answered */
  readonly status: number | undefined;

  constructor(code: InfluxErrorCode, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}

/** Code for an HTTP status that is not a success; shared by the reader and the health check. */
export function codeForStatus(status: number): InfluxErrorCode {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429 || status >= 500) return 'unavailable';
  return 'bad_request';
}
