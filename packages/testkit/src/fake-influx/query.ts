/** The body of POST /api/v2/query: Flux as JSON (with `now` and `dialect`) or as application/vnd.flux. */
import { DEFAULT_DIALECT, type Dialect, readDialect } from './annotated-csv.ts';
import { parseRfc3339 } from './rfc3339.ts';

export interface QueryRequest {
  readonly query: string;
  readonly dialect: Dialect;
  readonly now: bigint | undefined;
}

/** The body of POST /api/v2/query, or the message of a 400. */
export function readQueryRequest(contentType: string, body: string): QueryRequest | string {
  if (contentType.startsWith('application/vnd.flux')) {
    return { query: body, dialect: DEFAULT_DIALECT, now: undefined };
  }
  if (!contentType.startsWith('application/json')) {
    return `unsupported Content-Type ${JSON.stringify(contentType)}: use application/json or application/vnd.flux`;
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return `failed to decode request body: ${String(err)}`;
  }
  if (typeof json !== 'object' || json === null) return 'failed to decode request body: not an object';
  const request = json as Record<string, unknown>;
  if (typeof request.query !== 'string' || request.query === '') return 'query is required';
  if (request.type !== undefined && request.type !== 'flux')
    return `unsupported query type ${String(request.type)}`;
  if (request.params !== undefined && Object.keys(request.params as object).length > 0) {
    return 'the fake InfluxDB does not support query params';
  }
  let now: bigint | undefined;
  if (typeof request.now === 'string') {
    now = parseRfc3339(request.now);
    if (now === undefined) return `invalid now ${request.now}`;
  }
  const dialect = readDialect(request.dialect);
  if (typeof dialect === 'string') return dialect;
  return { query: request.query, dialect, now };
}
