/**
 * A fake InfluxDB 2.x on a free port, for tests and benchmarks of code that writes line protocol and
 * reads Flux results, on machines that cannot run the real one. It speaks the real protocol strictly:
 * token auth, org and bucket lookup, gzip bodies, the InfluxDB line protocol grammar and its error
 * messages, annotated CSV as flux/csv encodes it (CRLF, RFC3339Nano, shared headers, blank line between
 * schemas), /health and /ping. The contract test in @pdm/influx runs the same round trip against a
 * real InfluxDB to keep this honest.
 *
 * Differences, on purpose: a batch with one bad line is rejected whole (InfluxDB keeps the good lines);
 * Flux is the subset listed at `runFlux`; query answers are never gzipped; everything lives in memory.
 *
 * Sections: server and fault injection, line protocol, Flux, annotated CSV.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

// ─── Server and fault injection ─────────────────────────────────────────────────────────────────

export interface FakeInfluxOptions {
  /** default `fake-token` */
  readonly token?: string;
  /** default `pdm` */
  readonly org?: string;
  /** default `['telemetry']`; the first is `bucket` */
  readonly buckets?: readonly string[];
  /** keep every line received for rawLines(); turn off in benchmarks. Default true. */
  readonly recordLines?: boolean;
  /** keep points for points() and queries; turn off in write benchmarks. Default true. */
  readonly storePoints?: boolean;
}

/** An answer to give instead of the real one. */
export interface FakeFault {
  /** e.g. 503, 429, 500 */
  readonly status: number;
  /** sent as the Retry-After header, in seconds */
  readonly retryAfterS?: number;
  readonly message?: string;
}

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Content-Encoding of the request body */
  readonly contentEncoding: string | undefined;
  /** body size as received, compressed or not */
  readonly bytes: number;
  /** from the whole body received to the status line sent: the server's share of the request time */
  readonly ms: number;
}

export interface FakeInfluxStats {
  readonly requests: number;
  readonly byStatus: Readonly<Record<number, number>>;
  /** lines in accepted write bodies (comments and blank lines excluded) */
  readonly linesAccepted: number;
  /** distinct points held; a rewrite of the same series and time counts once */
  readonly pointsStored: number;
}

export interface QueryHold {
  /** resolves when the answer has sent the rows and stopped */
  readonly reached: Promise<void>;
  release(): void;
}

export interface FakeInflux {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly org: string;
  readonly bucket: string;
  /** the next `count` requests get this answer after their body is read */
  failNext(count: number, fault: FakeFault): void;
  /** every request in the next `ms` milliseconds gets this answer */
  failFor(ms: number, fault: FakeFault): void;
  /** the next `count` requests wait `ms` before they are answered (until stop at most) */
  delayNext(count: number, ms: number): void;
  /** the next query answer stops after `rows` data rows until released: proves a client streams */
  holdQueryAfter(rows: number): QueryHold;
  /** points of a bucket (default the first), by series key then time */
  points(bucket?: string): FakePoint[];
  /** every line of every write body decoded so far, accepted or not (with recordLines) */
  rawLines(): readonly string[];
  requests(): readonly FakeRequest[];
  stats(): FakeInfluxStats;
  /** forgets points, lines, counters and pending faults */
  reset(): void;
  stop(): Promise<void>;
}

/** A point as stored: tags and fields unescaped, time in nanoseconds. */
export interface FakePoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly time: bigint;
}

export type FieldType = 'float' | 'integer' | 'unsigned' | 'string' | 'boolean';
/**
 * A field value typed as line protocol types it, in the plainest JS form: number is a float, bigint an
 * integer (`42i`), `{ unsigned }` an unsigned (`42u`), then string and boolean.
 */
export type FieldValue = number | bigint | string | boolean | { readonly unsigned: bigint };

export function fieldType(value: FieldValue): FieldType {
  switch (typeof value) {
    case 'number':
      return 'float';
    case 'bigint':
      return 'integer';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    default:
      return 'unsigned';
  }
}

const VERSION = 'v2.8.0';

interface Series {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly points: Map<bigint, ReadonlyMap<string, FieldValue>>;
}

interface Bucket {
  readonly series: Map<string, Series>;
  /** measurement → field → type: InfluxDB refuses a field that changes type within a shard */
  readonly fieldTypes: Map<string, Map<string, FieldType>>;
}

interface Pending {
  remaining: number;
}

const gunzipAsync = promisify(gunzip);

export async function startFakeInflux(options: FakeInfluxOptions = {}): Promise<FakeInflux> {
  const token = options.token ?? 'fake-token';
  const org = options.org ?? 'pdm';
  const bucketNames = options.buckets ?? ['telemetry'];
  const firstBucket = bucketNames[0];
  if (firstBucket === undefined) throw new Error('startFakeInflux needs at least one bucket');
  const recordLines = options.recordLines ?? true;
  const storePoints = options.storePoints ?? true;

  const buckets = new Map<string, Bucket>();
  let lines: string[] = [];
  let log: FakeRequest[] = [];
  let byStatus: Record<number, number> = {};
  let linesAccepted = 0;
  let faults: (Pending & { readonly fault: FakeFault })[] = [];
  let faultWindow: { readonly fault: FakeFault; readonly until: number } | undefined;
  let delays: (Pending & { readonly ms: number })[] = [];
  let hold:
    | { readonly rows: number; readonly reached: () => void; readonly released: Promise<void> }
    | undefined;
  /** wakes every delayed request and held query, so stop() does not wait for them */
  const wakers = new Set<() => void>();

  const resetData = () => {
    buckets.clear();
    for (const name of bucketNames) buckets.set(name, { series: new Map(), fieldTypes: new Map() });
  };
  resetData();

  const bucketOf = (name: string): Bucket => {
    const bucket = buckets.get(name);
    if (!bucket) throw new Error(`no bucket ${name}`);
    return bucket;
  };

  const respond = (
    req: IncomingMessage,
    res: ServerResponse,
    bytes: number,
    status: number,
    body?: object,
    headers: Record<string, string> = {},
  ) => {
    record(req, bytes, status);
    if (body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    res
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      .end(JSON.stringify(body));
  };

  /** InfluxDB's error shape: `{"code": …, "message": …}`, the code repeated in X-Platform-Error-Code. */
  const respondError = (
    req: IncomingMessage,
    res: ServerResponse,
    bytes: number,
    status: number,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    const code = errorCodeFor(status);
    respond(req, res, bytes, status, { code, message }, { 'x-platform-error-code': code, ...headers });
  };

  const bodyReceivedAt = new WeakMap<IncomingMessage, number>();

  // Counted before the first byte goes out, so a client that saw the answer also sees it counted.
  const record = (req: IncomingMessage, bytes: number, status: number) => {
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    const now = performance.now();
    log.push({
      method: req.method ?? '',
      path: new URL(req.url ?? '/', 'http://fake').pathname,
      status,
      contentEncoding: req.headers['content-encoding'],
      bytes,
      ms: now - (bodyReceivedAt.get(req) ?? now),
    });
  };

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
    });

  const takeFault = (): FakeFault | undefined => {
    const next = faults[0];
    if (next) {
      next.remaining -= 1;
      if (next.remaining <= 0) faults.shift();
      return next.fault;
    }
    if (faultWindow && Date.now() < faultWindow.until) return faultWindow.fault;
    return undefined;
  };

  const takeDelay = (): number => {
    const next = delays[0];
    if (!next) return 0;
    next.remaining -= 1;
    if (next.remaining <= 0) delays.shift();
    return next.ms;
  };

  const authorized = (req: IncomingMessage) => req.headers.authorization === `Token ${token}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Read the whole body before any answer: a client still sending when the answer comes sees a reset.
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    bodyReceivedAt.set(req, performance.now());
    const delay = takeDelay();
    if (delay > 0) await wait(delay);
    if (res.destroyed) return;
    const fault = takeFault();
    if (fault) {
      respondError(
        req,
        res,
        raw.length,
        fault.status,
        fault.message ?? `injected ${fault.status} by the fake InfluxDB`,
        fault.retryAfterS === undefined ? {} : { 'retry-after': String(fault.retryAfterS) },
      );
      return;
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /health':
        respond(req, res, raw.length, 200, {
          name: 'influxdb',
          message: 'ready for queries and writes',
          status: 'pass',
          checks: [],
          version: VERSION,
          commit: 'fake',
        });
        return;
      case 'GET /ping':
      case 'HEAD /ping':
        respond(req, res, raw.length, 204, undefined, {
          'x-influxdb-build': 'OSS',
          'x-influxdb-version': VERSION,
        });
        return;
      case 'POST /api/v2/write':
        await handleWrite(req, res, url, raw);
        return;
      case 'POST /api/v2/query':
        await handleQuery(req, res, url, raw);
        return;
      case 'GET /api/v2/buckets':
        handleBuckets(req, res, url, raw.length);
        return;
      default:
        respondError(req, res, raw.length, 404, 'path not found');
    }
  }

  /** Answers the org check shared by the API routes; false when it has answered. */
  function checkAuthAndOrg(req: IncomingMessage, res: ServerResponse, url: URL, bytes: number): boolean {
    if (!authorized(req)) {
      respondError(req, res, bytes, 401, 'unauthorized access');
      return false;
    }
    const orgParam = url.searchParams.get('org') ?? url.searchParams.get('orgID');
    if (orgParam === null || orgParam === '') {
      respondError(req, res, bytes, 400, 'Please provide either orgID or org');
      return false;
    }
    if (orgParam !== org) {
      respondError(req, res, bytes, 404, `organization name "${orgParam}" not found`);
      return false;
    }
    return true;
  }

  async function handleWrite(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    raw: Buffer,
  ): Promise<void> {
    if (!checkAuthAndOrg(req, res, url, raw.length)) return;
    const bucketName = url.searchParams.get('bucket') ?? '';
    const bucket = buckets.get(bucketName);
    if (!bucket) {
      respondError(req, res, raw.length, 404, `bucket "${bucketName}" not found`);
      return;
    }
    const precision = url.searchParams.get('precision') ?? 'ns';
    if (!isPrecision(precision)) {
      respondError(req, res, raw.length, 400, `invalid precision "${precision}": use ns, us, ms or s`);
      return;
    }
    const encoding = req.headers['content-encoding'] ?? 'identity';
    let body: Buffer;
    if (encoding === 'gzip') {
      try {
        body = await gunzipAsync(raw);
      } catch (err) {
        respondError(req, res, raw.length, 400, `unable to decompress request body: ${String(err)}`);
        return;
      }
    } else if (encoding === 'identity') {
      body = raw;
    } else {
      respondError(req, res, raw.length, 415, `Content-Encoding ${encoding} not supported`);
      return;
    }
    const text = body.toString('utf8');
    if (recordLines) for (const line of text.split('\n')) if (line !== '') lines.push(line);
    const types = new BatchFieldTypes(bucket.fieldTypes);
    const kept: ParsedPoint[] = [];
    let count = 0;
    const errors = scanLineProtocol(text, precision, BigInt(Date.now()) * 1_000_000n, (point) => {
      count++;
      types.add(point);
      if (storePoints) kept.push(point);
    });
    if (errors.length > 0) {
      respondError(req, res, raw.length, 400, errors.join('\n'));
      return;
    }
    if (count === 0) {
      respondError(req, res, raw.length, 400, 'writing requires points');
      return;
    }
    if (types.conflict !== undefined) {
      respondError(req, res, raw.length, 422, `${types.conflict} dropped=${count}`);
      return;
    }
    types.commit();
    store(bucket, kept);
    linesAccepted += count;
    respond(req, res, raw.length, 204);
  }

  function handleBuckets(req: IncomingMessage, res: ServerResponse, url: URL, bytes: number): void {
    if (!checkAuthAndOrg(req, res, url, bytes)) return;
    const name = url.searchParams.get('name');
    const listed = bucketNames.filter((b) => name === null || b === name);
    respond(req, res, bytes, 200, {
      links: { self: `/api/v2/buckets?org=${encodeURIComponent(org)}` },
      buckets: listed.map((b, i) => ({
        id: `fa4e00000000000${i}`,
        orgID: 'fa4e000000000000',
        type: 'user',
        name: b,
        retentionRules: [],
      })),
    });
  }

  async function handleQuery(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    raw: Buffer,
  ): Promise<void> {
    if (!checkAuthAndOrg(req, res, url, raw.length)) return;
    const request = readQueryRequest(req.headers['content-type'] ?? '', raw.toString('utf8'));
    if (typeof request === 'string') {
      respondError(req, res, raw.length, 400, request);
      return;
    }
    let result: FluxResult;
    try {
      const pipeline = parseFlux(request.query);
      const bucket = buckets.get(pipeline.bucket);
      if (!bucket) {
        respondError(
          req,
          res,
          raw.length,
          404,
          `failed to initialize execute state: could not find bucket "${pipeline.bucket}"`,
        );
        return;
      }
      result = runFlux(pipeline, bucket.series, request.now);
    } catch (err) {
      if (!(err instanceof FluxError)) throw err;
      respondError(req, res, raw.length, 400, `compilation failed: ${err.message}`);
      return;
    }
    record(req, raw.length, 200);
    res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8', vary: 'Accept-Encoding' });
    const current = hold;
    hold = undefined;
    await writeAnnotatedCsv(res, result, request.dialect, current);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      respondError(req, res, 0, 500, String(err));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    token,
    org,
    bucket: firstBucket,
    failNext(count, fault) {
      if (count > 0) faults.push({ remaining: count, fault });
    },
    failFor(ms, fault) {
      faultWindow = { fault, until: Date.now() + ms };
    },
    delayNext(count, ms) {
      if (count > 0) delays.push({ remaining: count, ms });
    },
    holdQueryAfter(rows) {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((resolve) => {
        reached = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = () => {
          wakers.delete(release);
          resolve();
        };
      });
      wakers.add(release);
      hold = { rows, reached, released };
      return { reached: reachedPromise, release };
    },
    points(bucket = firstBucket) {
      const out: FakePoint[] = [];
      const data = bucketOf(bucket);
      for (const key of [...data.series.keys()].sort()) {
        const series = data.series.get(key) as Series;
        for (const time of [...series.points.keys()].sort(compareBigint)) {
          out.push({
            measurement: series.measurement,
            tags: series.tags,
            fields: Object.fromEntries(series.points.get(time) as ReadonlyMap<string, FieldValue>),
            time,
          });
        }
      }
      return out;
    },
    rawLines: () => lines,
    requests: () => log,
    stats() {
      let pointsStored = 0;
      for (const bucket of buckets.values())
        for (const s of bucket.series.values()) pointsStored += s.points.size;
      return { requests: log.length, byStatus: { ...byStatus }, linesAccepted, pointsStored };
    },
    reset() {
      resetData();
      lines = [];
      log = [];
      byStatus = {};
      linesAccepted = 0;
      faults = [];
      faultWindow = undefined;
      delays = [];
      hold = undefined;
    },
    async stop() {
      for (const wake of [...wakers]) wake();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The `code` InfluxDB puts in an error body for a status. */
function errorCodeFor(status: number): string {
  const codes: Record<number, string> = {
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not found',
    413: 'request too large',
    415: 'unsupported media type',
    422: 'unprocessable entity',
    429: 'too many requests',
    503: 'unavailable',
  };
  return codes[status] ?? (status >= 500 ? 'internal error' : 'invalid');
}

/**
 * Field types seen in one write, checked against the bucket's: InfluxDB refuses a field whose type
 * differs from the one it already holds (422) and this fake refuses the whole batch for it.
 */
class BatchFieldTypes {
  /** the first conflict, worded as InfluxDB words it, without the dropped count */
  conflict: string | undefined;
  private readonly added = new Map<string, Map<string, FieldType>>();

  constructor(private readonly stored: Map<string, Map<string, FieldType>>) {}

  add(point: ParsedPoint): void {
    if (this.conflict !== undefined) return;
    const stored = this.stored.get(point.measurement);
    let added = this.added.get(point.measurement);
    if (!added) {
      added = new Map();
      this.added.set(point.measurement, added);
    }
    // forEach, not for…of: no entry array per field, which the write benchmark notices
    point.fields.forEach((value, key) => {
      const type = fieldType(value);
      const existing = stored?.get(key) ?? added.get(key);
      if (existing === undefined) added.set(key, type);
      else if (existing !== type && this.conflict === undefined) {
        this.conflict =
          'failure writing points to database: partial write: field type conflict: ' +
          `input field "${key}" on measurement "${point.measurement}" is type ${type}, ` +
          `already exists as type ${existing}`;
      }
    });
  }

  commit(): void {
    for (const [measurement, added] of this.added) {
      const stored = this.stored.get(measurement) ?? new Map<string, FieldType>();
      for (const [key, type] of added) stored.set(key, type);
      this.stored.set(measurement, stored);
    }
  }
}

function store(bucket: Bucket, points: readonly ParsedPoint[]): void {
  for (const point of points) {
    let series = bucket.series.get(point.seriesKey);
    if (!series) {
      series = { measurement: point.measurement, tags: Object.fromEntries(point.tags), points: new Map() };
      bucket.series.set(point.seriesKey, series);
    }
    const existing = series.points.get(point.time);
    // Same series and time: the point's fields merge, new values win, as in InfluxDB.
    series.points.set(point.time, existing ? new Map([...existing, ...point.fields]) : point.fields);
  }
}

interface QueryRequest {
  readonly query: string;
  readonly dialect: Dialect;
  readonly now: bigint | undefined;
}

/** The body of POST /api/v2/query, or the message of a 400. */
function readQueryRequest(contentType: string, body: string): QueryRequest | string {
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

interface Dialect {
  readonly header: boolean;
  readonly annotations: readonly string[];
}

/** What InfluxDB assumes without a dialect: a header row and no annotations. */
const DEFAULT_DIALECT: Dialect = { header: true, annotations: [] };

function readDialect(value: unknown): Dialect | string {
  if (value === undefined || value === null) return DEFAULT_DIALECT;
  if (typeof value !== 'object') return 'dialect must be an object';
  const d = value as Record<string, unknown>;
  if (d.delimiter !== undefined && d.delimiter !== ',')
    return 'the fake InfluxDB supports only "," as delimiter';
  if (
    d.dateTimeFormat !== undefined &&
    d.dateTimeFormat !== 'RFC3339' &&
    d.dateTimeFormat !== 'RFC3339Nano'
  ) {
    return `unsupported dateTimeFormat ${String(d.dateTimeFormat)}`;
  }
  const annotations = d.annotations ?? [];
  if (
    !Array.isArray(annotations) ||
    !annotations.every((a) => ['datatype', 'group', 'default'].includes(a))
  ) {
    return `unsupported annotations ${JSON.stringify(annotations)}: use datatype, group, default`;
  }
  return { header: d.header !== false, annotations };
}

// ─── Line protocol ──────────────────────────────────────────────────────────────────────────────

export const PRECISIONS = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n } as const;
export type Precision = keyof typeof PRECISIONS;

function isPrecision(value: string): value is Precision {
  return Object.hasOwn(PRECISIONS, value);
}

export interface ParsedPoint {
  readonly measurement: string;
  /** unescaped, sorted by key */
  readonly tags: readonly (readonly [string, string])[];
  readonly fields: ReadonlyMap<string, FieldValue>;
  /** nanoseconds since the epoch */
  readonly time: bigint;
  /** measurement and sorted tags in line protocol form: the series identity */
  readonly seriesKey: string;
}

export type LineProtocolResult =
  | { readonly ok: true; readonly points: ParsedPoint[] }
  | { readonly ok: false; readonly errors: string[] };

const NEWLINE = 10;
const SPACE = 32;
const TAB = 9;
const NUL = 0;
const COMMA = 44;
const EQUALS = 61;
const QUOTE = 34;
const BACKSLASH = 92;
const HASH = 35;
const MINUS = 45;
const DOT = 46;

// int64 nanoseconds, as InfluxDB's MinNanoTime and MaxNanoTime
const MIN_NANO_TIME = -(2n ** 63n) + 2n;
const MAX_NANO_TIME = 2n ** 63n - 1n - 1n;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;

const INTEGER_DIGITS = /^-?\d+$/;
const UNSIGNED_DIGITS = /^\d+$/;
const BOOLEANS: Readonly<Record<string, boolean>> = {
  t: true,
  T: true,
  true: true,
  True: true,
  TRUE: true,
  f: false,
  F: false,
  false: false,
  False: false,
  FALSE: false,
};

class LineError extends Error {}

function invalid(reason: string): never {
  throw new LineError(reason);
}

/**
 * Parses a write body as InfluxDB's models.ParsePointsWithPrecision does, with its error texts
 * (`unable to parse '<line>': <reason>`). Blank lines and `#` comments are skipped.
 */
export function parseLineProtocol(
  text: string,
  precision: Precision = 'ns',
  now: bigint = BigInt(Date.now()) * 1_000_000n,
): LineProtocolResult {
  const points: ParsedPoint[] = [];
  const errors = scanLineProtocol(text, precision, now, (point) => points.push(point));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, points };
}

/** What one scan of a write body shares between its lines. */
interface Scan {
  readonly multiplier: bigint;
  readonly defaultTime: bigint;
  readonly visit: (point: ParsedPoint) => void;
  /**
   * Field keys by position in the previous lines. A writer sends its fields in the same order every
   * line, so a key found here costs a compare instead of a slice and a fresh string to hash.
   */
  readonly fieldKeys: string[];
}

/**
 * parseLineProtocol without the array: each point goes to `visit` as it is parsed, so a caller that
 * does not keep them lets them die young, which is most of the fake's speed in the write benchmark.
 * Returns the errors.
 */
function scanLineProtocol(
  text: string,
  precision: Precision,
  now: bigint,
  visit: (point: ParsedPoint) => void,
): string[] {
  const errors: string[] = [];
  const multiplier = PRECISIONS[precision];
  // a point without timestamp gets the server's time, truncated to the precision
  const scan: Scan = { multiplier, defaultTime: (now / multiplier) * multiplier, visit, fieldKeys: [] };
  const n = text.length;
  let pos = 0;
  while (pos < n) {
    const start = skipBlanks(text, pos);
    if (start >= n) break;
    const first = text.charCodeAt(start);
    if (first === NEWLINE) {
      pos = start + 1;
    } else if (first === HASH) {
      const end = text.indexOf('\n', start);
      pos = end === -1 ? n : end + 1;
    } else {
      pos = parseLine(text, start, scan, errors) + 1;
    }
  }
  return errors;
}

/** One point to the scan's visitor, or its error into `errors`; the index of the line's end either way. */
function parseLine(text: string, start: number, scan: Scan, errors: string[]): number {
  try {
    return parsePoint(text, start, scan);
  } catch (err) {
    if (!(err instanceof LineError)) throw err;
    const end = lineEnd(text, start);
    errors.push(`unable to parse '${text.slice(start, end)}': ${err.message}`);
    return end;
  }
}

/** Index of the newline ending the line at `start` (or the text length), skipping quoted strings. */
function lineEnd(t: string, start: number): number {
  let inFields = false;
  let quoted = false;
  let equals = 0;
  let commas = 0;
  for (let i = start; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === BACKSLASH) {
      i++;
      continue;
    }
    if (c === SPACE) inFields = true;
    if (inFields) {
      if (!quoted && c === EQUALS) equals++;
      else if (!quoted && c === COMMA) commas++;
      else if (c === QUOTE && equals > commas) quoted = !quoted;
    }
    if (c === NEWLINE && !quoted) return i;
  }
  return t.length;
}

function skipBlanks(t: string, i: number): number {
  let c = t.charCodeAt(i);
  while (c === SPACE || c === TAB || c === NUL) c = t.charCodeAt(++i);
  return i;
}

/**
 * Parses the point at `start` and hands it to the scan's visitor; returns the index of its line's end.
 * Plain loops over char codes, each char read once where possible: the writer's benchmark sends half a
 * million lines through. Past the end charCodeAt gives NaN, which equals nothing, so only the
 * fallthrough branches check `i >= n`. An escape is a backslash before the char, as InfluxDB reads it.
 */
function parsePoint(t: string, start: number, scan: Scan): number {
  const n = t.length;
  let i = start;
  let c = t.charCodeAt(i);
  let keyEscaped = false;

  // measurement: up to an unescaped comma (tags follow) or space (fields follow)
  if (c === COMMA) invalid('missing measurement');
  for (;;) {
    c = t.charCodeAt(++i);
    if (c === COMMA || c === SPACE) {
      if (t.charCodeAt(i - 1) !== BACKSLASH) break;
    } else if (c === BACKSLASH) keyEscaped = true;
    else if (c === NEWLINE || i >= n) invalid('missing fields');
  }
  const measurementText = t.slice(start, i);
  const measurement = keyEscaped ? unescapeKey(measurementText, MEASUREMENT_ESCAPES) : measurementText;

  const tags: [string, string][] = [];
  let tagsSorted = true;
  while (c === COMMA) {
    const keyStart = ++i;
    let escaped = false;
    c = t.charCodeAt(i);
    if (c === SPACE || c === COMMA || c === EQUALS || c === NEWLINE || i >= n) invalid('missing tag key');
    for (;;) {
      if (c === BACKSLASH) escaped = true;
      c = t.charCodeAt(++i);
      if (c === EQUALS) {
        if (t.charCodeAt(i - 1) !== BACKSLASH) break;
      } else if (c === SPACE || c === COMMA) {
        if (t.charCodeAt(i - 1) !== BACKSLASH) invalid('missing tag value');
      } else if (c === NEWLINE || i >= n) invalid('missing tag value');
    }
    const key = escaped ? unescapeKey(t.slice(keyStart, i), TAG_ESCAPES) : t.slice(keyStart, i);
    const valueStart = ++i;
    keyEscaped ||= escaped;
    escaped = false;
    c = t.charCodeAt(i);
    if (c === COMMA || c === SPACE || c === NEWLINE || i >= n) invalid('missing tag value');
    for (;;) {
      if (c === BACKSLASH) escaped = true;
      c = t.charCodeAt(++i);
      if (c === COMMA || c === SPACE) {
        if (t.charCodeAt(i - 1) !== BACKSLASH) break;
      } else if (c === EQUALS) {
        if (t.charCodeAt(i - 1) !== BACKSLASH) invalid('invalid tag format');
      } else if (c === NEWLINE || i >= n) invalid('missing fields');
    }
    keyEscaped ||= escaped;
    const previous = tags[tags.length - 1];
    if (previous !== undefined && previous[0] >= key) tagsSorted = false;
    tags.push([key, escaped ? unescapeKey(t.slice(valueStart, i), TAG_ESCAPES) : t.slice(valueStart, i)]);
  }
  if (!tagsSorted) {
    tags.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let k = 1; k < tags.length; k++) {
      if ((tags[k] as [string, string])[0] === (tags[k - 1] as [string, string])[0])
        invalid('duplicate tags');
    }
  }
  const seriesKey = tagsSorted && !keyEscaped ? t.slice(start, i) : escapeKey(measurement, tags);

  // fields: key=value pairs separated by commas, ended by a space or the line's end
  i = skipBlanks(t, i);
  c = t.charCodeAt(i);
  if (c === NEWLINE || i >= n) invalid('missing fields');
  const fields = new Map<string, FieldValue>();
  for (let position = 0; ; position++) {
    let key = scan.fieldKeys[position];
    if (key !== undefined && keyAt(t, i, key)) {
      i += key.length;
    } else {
      const keyStart = i;
      let escaped = false;
      for (;;) {
        if (c === EQUALS) break;
        if (c === BACKSLASH && i + 1 < n) {
          escaped = true;
          i++;
        } else if (c === SPACE || c === COMMA)
          invalid(i === keyStart ? 'missing field key' : 'invalid field format');
        else if (c === NEWLINE || i >= n) invalid('invalid field format');
        c = t.charCodeAt(++i);
      }
      if (i === keyStart) invalid('missing field key');
      key = t.slice(keyStart, i);
      if (escaped) key = unescapeKey(key, TAG_ESCAPES);
      else scan.fieldKeys[position] = key;
    }
    c = t.charCodeAt(++i);
    if (c === SPACE || c === COMMA || c === NEWLINE || i >= n) invalid('missing field value');
    if (c === QUOTE) {
      i = parseString(t, i, key, fields);
    } else {
      const tokenStart = i;
      while (c !== COMMA && c !== SPACE && c !== NEWLINE && i < n) c = t.charCodeAt(++i);
      // InfluxDB: digits, '.', '-' and NaN's 'N' start numbers; anything else must be a boolean
      const first = t.charCodeAt(tokenStart);
      fields.set(
        key,
        (first >= 48 && first <= 57) || first === DOT || first === MINUS || first === 78 || first === 110
          ? parseNumber(t, tokenStart, i)
          : parseBoolean(t.slice(tokenStart, i)),
      );
    }
    c = t.charCodeAt(i);
    if (c === SPACE) break;
    if (c === NEWLINE || i >= n)
      return finish(scan, measurement, tags, fields, scan.defaultTime, seriesKey, i);
    if (c !== COMMA) invalid('invalid field format');
    c = t.charCodeAt(++i);
  }

  // timestamp: optional, an integer in the write's precision, then nothing but spaces
  i = skipBlanks(t, i);
  c = t.charCodeAt(i);
  if (c === NEWLINE || i >= n) return finish(scan, measurement, tags, fields, scan.defaultTime, seriesKey, i);
  const timeStart = i;
  if (c === MINUS) c = t.charCodeAt(++i);
  while (c !== SPACE && c !== NEWLINE && i < n) {
    if (c < 48 || c > 57) invalid('bad timestamp');
    c = t.charCodeAt(++i);
  }
  const digits = t.slice(timeStart, i);
  if (digits === '' || digits === '-') invalid('bad timestamp');
  while (c !== NEWLINE && i < n) {
    if (c !== SPACE) invalid('point is invalid');
    c = t.charCodeAt(++i);
  }
  const value = toBigInt(digits);
  if (value < MIN_INT64 || value > MAX_INT64)
    invalid(`strconv.ParseInt: parsing "${digits}": value out of range`);
  const time = value * scan.multiplier;
  if (time < MIN_NANO_TIME || time > MAX_NANO_TIME)
    invalid(`time outside range ${MIN_NANO_TIME} - ${MAX_NANO_TIME}`);
  return finish(scan, measurement, tags, fields, time, seriesKey, i);
}

/** Whether `key=` starts at `i`; a loop, because startsWith with a position is a slow builtin call. */
function keyAt(t: string, i: number, key: string): boolean {
  const length = key.length;
  for (let k = 0; k < length; k++) if (t.charCodeAt(i + k) !== key.charCodeAt(k)) return false;
  return t.charCodeAt(i + length) === EQUALS;
}

function finish(
  scan: Scan,
  measurement: string,
  tags: readonly (readonly [string, string])[],
  fields: ReadonlyMap<string, FieldValue>,
  time: bigint,
  seriesKey: string,
  end: number,
): number {
  scan.visit({ measurement, tags, fields, time, seriesKey });
  return end;
}

/** Decimal digits, maybe signed, as a BigInt; through Number when that is exact, which is much cheaper. */
function toBigInt(digits: string): bigint {
  return digits.length < 16 ? BigInt(Number(digits)) : BigInt(digits);
}

/** A double-quoted string value starting at `i`; only `\"` and `\\` are escapes. Returns the index after it. */
function parseString(t: string, i: number, key: string, fields: Map<string, FieldValue>): number {
  let value = '';
  let from = i + 1;
  for (i = from; ; i++) {
    if (i >= t.length) invalid('unbalanced quotes');
    const c = t.charCodeAt(i);
    if (c === QUOTE) break;
    if (c === BACKSLASH && i + 1 < t.length) {
      const next = t.charCodeAt(i + 1);
      if (next === QUOTE || next === BACKSLASH) {
        value += t.slice(from, i);
        from = i + 1;
      }
      i++;
    }
  }
  fields.set(key, value + t.slice(from, i));
  return i + 1;
}

/** Exact powers of ten: a mantissa below 2^53 divided by one of them is correctly rounded. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

function parseNumber(t: string, start: number, end: number): FieldValue {
  const last = t.charCodeAt(end - 1);
  if (last === 105 /* i */ || last === 117 /* u */) {
    const digits = t.slice(start, end - 1);
    const unsigned = last === 117;
    if (!(unsigned ? UNSIGNED_DIGITS : INTEGER_DIGITS).test(digits)) invalid('invalid number');
    const value = toBigInt(digits);
    if (unsigned ? value > MAX_UINT64 : value < MIN_INT64 || value > MAX_INT64) {
      invalid(`unable to parse ${unsigned ? 'unsigned' : 'integer'} ${digits}: value out of range`);
    }
    return unsigned ? { unsigned: value } : value;
  }
  // Fast path for plain decimals of up to 15 digits, the usual sensor reading: the same double as
  // Number() gives (Clinger's exact case), without its slow string-to-number conversion.
  let i = start;
  const negative = t.charCodeAt(i) === MINUS;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let decimals = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (dot) decimals++;
    } else if (c === DOT && !dot) dot = true;
    else break;
  }
  if (digits === 0) invalid('invalid number');
  if (i === end && digits <= 15) {
    const value = mantissa / (POWERS_OF_TEN[decimals] as number);
    return negative ? -value : value;
  }
  if (!isFloatText(t, start, end)) invalid('invalid number');
  const value = Number(t.slice(start, end));
  if (!Number.isFinite(value)) invalid('invalid float');
  return value;
}

/** `-?(digits[.digits]|.digits)([eE][+-]?digits)?`, the floats InfluxDB's scanner lets through. */
function isFloatText(t: string, start: number, end: number): boolean {
  let i = start;
  if (t.charCodeAt(i) === MINUS) i++;
  let digits = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === DOT && !dot) dot = true;
    else break;
  }
  if (digits === 0) return false;
  if (i === end) return true;
  const e = t.charCodeAt(i++);
  if (e !== 101 && e !== 69) return false;
  const sign = t.charCodeAt(i);
  if (sign === 43 || sign === MINUS) i++;
  if (i === end) return false;
  for (; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function parseBoolean(token: string): FieldValue {
  const value = BOOLEANS[token];
  if (value === undefined) invalid('invalid boolean');
  return value;
}

const MEASUREMENT_ESCAPES = /\\([, ])/g;
const TAG_ESCAPES = /\\([, =])/g;

function unescapeKey(text: string, escapes: RegExp): string {
  return text.includes('\\') ? text.replace(escapes, '$1') : text;
}

function escapeKey(measurement: string, tags: readonly (readonly [string, string])[]): string {
  let key = measurement.replace(/[, ]/g, '\\$&');
  for (const [k, v] of tags) key += `,${k.replace(/[, =]/g, '\\$&')}=${v.replace(/[, =]/g, '\\$&')}`;
  return key;
}

function compareBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ─── Flux ───────────────────────────────────────────────────────────────────────────────────────

/** A query the fake does not understand or that Flux would refuse: answered 400. */
class FluxError extends Error {}

type Literal =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'time'; readonly ns: bigint }
  | { readonly kind: 'duration'; readonly ns: bigint }
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'now' };

type Operand = Literal | { readonly kind: 'column'; readonly name: string };

type Predicate =
  | { readonly kind: 'and' | 'or'; readonly left: Predicate; readonly right: Predicate }
  | { readonly kind: 'not'; readonly operand: Predicate }
  | { readonly kind: 'compare'; readonly op: string; readonly left: Operand; readonly right: Operand };

type Argument =
  | Literal
  | { readonly kind: 'array'; readonly items: readonly Literal[] }
  | { readonly kind: 'function'; readonly body: Predicate };

interface Call {
  readonly name: string;
  readonly args: ReadonlyMap<string, Argument>;
}

interface Pipeline {
  readonly bucket: string;
  readonly calls: readonly Call[];
}

interface Token {
  readonly type: 'ident' | 'string' | 'time' | 'duration' | 'int' | 'float' | 'punct' | 'eof';
  readonly text: string;
  readonly pos: number;
}

const SKIP = /(?:\s+|\/\/[^\n]*)+/y;
const PUNCT = /\|>|=>|==|!=|<=|>=|=~|!~|[()[\]{},:.<>+\-*/=]/y;
const TIME = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))?/y;
const DURATION = /(?:\d+(?:mo|ms|us|µs|ns|y|w|d|h|m|s))+(?![A-Za-z0-9_])/y;
const FLOAT = /\d+\.\d+/y;
const INT = /\d+/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const DURATION_PART = /(\d+)(mo|ms|us|µs|ns|y|w|d|h|m|s)/g;
const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  const sticky = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    const m = re.exec(source);
    return m ? m[0] : undefined;
  };
  while (pos < source.length) {
    const skipped = sticky(SKIP);
    if (skipped) {
      pos += skipped.length;
      continue;
    }
    const start = pos;
    if (source[pos] === '"') {
      let value = '';
      pos++;
      for (;;) {
        const ch = source[pos];
        if (ch === undefined) throw new FluxError(`unterminated string at ${start}`);
        if (ch === '"') break;
        if (ch === '$' && source[pos + 1] === '{')
          throw new FluxError('string interpolation is not supported');
        if (ch === '\\') {
          const next = source[pos + 1];
          const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$' };
          const mapped = next === undefined ? undefined : escapes[next];
          if (mapped === undefined) throw new FluxError(`invalid escape sequence \\${next ?? ''}`);
          value += mapped;
          pos += 2;
          continue;
        }
        value += ch;
        pos++;
      }
      pos++;
      tokens.push({ type: 'string', text: value, pos: start });
      continue;
    }
    const matched: [Token['type'], string | undefined][] = [
      ['time', sticky(TIME)],
      ['duration', sticky(DURATION)],
      ['float', sticky(FLOAT)],
      ['int', sticky(INT)],
      ['ident', sticky(IDENT)],
      ['punct', sticky(PUNCT)],
    ];
    const hit = matched.find(([, text]) => text !== undefined);
    if (!hit) throw new FluxError(`unexpected character ${JSON.stringify(source[pos])} at ${pos}`);
    const [type, text] = hit as [Token['type'], string];
    tokens.push({ type, text, pos: start });
    pos += text.length;
  }
  tokens.push({ type: 'eof', text: '', pos });
  return tokens;
}

/** Parses `from(bucket: "…") |> call(arg: …) |> …`; the first call must be from(). */
export function parseFlux(source: string): Pipeline {
  const tokens = tokenize(source);
  let at = 0;
  const peek = (offset = 0) => tokens[Math.min(at + offset, tokens.length - 1)] as Token;
  const next = () => {
    const token = peek();
    at++;
    return token;
  };
  const expect = (text: string): Token => {
    const token = next();
    if (token.text !== text || token.type === 'string') {
      throw new FluxError(
        `expected ${JSON.stringify(text)} at ${token.pos}, found ${JSON.stringify(token.text)}`,
      );
    }
    return token;
  };
  const isPunct = (text: string, offset = 0) => peek(offset).type === 'punct' && peek(offset).text === text;

  const literal = (): Literal => {
    const token = next();
    switch (token.type) {
      case 'string':
        return { kind: 'string', value: token.text };
      case 'time': {
        const ns = parseRfc3339(token.text);
        if (ns === undefined) throw new FluxError(`invalid time ${token.text}`);
        return { kind: 'time', ns };
      }
      case 'duration':
        return { kind: 'duration', ns: parseDuration(token.text) };
      case 'int':
        return { kind: 'int', value: BigInt(token.text) };
      case 'float':
        return { kind: 'float', value: Number(token.text) };
      case 'punct':
        if (
          token.text === '-' &&
          (peek().type === 'duration' || peek().type === 'int' || peek().type === 'float')
        ) {
          const inner = literal();
          if (inner.kind === 'duration') return { kind: 'duration', ns: -inner.ns };
          if (inner.kind === 'int') return { kind: 'int', value: -inner.value };
          if (inner.kind === 'float') return { kind: 'float', value: -inner.value };
        }
        break;
      case 'ident':
        if (token.text === 'true' || token.text === 'false')
          return { kind: 'bool', value: token.text === 'true' };
        if (token.text === 'now' && isPunct('(') && isPunct(')', 1)) {
          at += 2;
          return { kind: 'now' };
        }
        break;
      default:
        break;
    }
    throw new FluxError(`unsupported expression ${JSON.stringify(token.text)} at ${token.pos}`);
  };

  const predicate = (param: string): Predicate => {
    const operand = (): Operand => {
      if (peek().type === 'ident' && peek().text === param) {
        next();
        if (isPunct('.')) {
          next();
          const name = next();
          if (name.type !== 'ident') throw new FluxError(`expected a column name at ${name.pos}`);
          return { kind: 'column', name: name.text };
        }
        expect('[');
        const name = next();
        if (name.type !== 'string') throw new FluxError(`expected a column name string at ${name.pos}`);
        expect(']');
        return { kind: 'column', name: name.text };
      }
      return literal();
    };
    const comparison = (): Predicate => {
      if (isPunct('(')) {
        next();
        const inner = or();
        expect(')');
        return inner;
      }
      if (peek().type === 'ident' && peek().text === 'not') {
        next();
        return { kind: 'not', operand: comparison() };
      }
      const left = operand();
      const op = next();
      if (op.type !== 'punct' || !['==', '!=', '<', '<=', '>', '>='].includes(op.text)) {
        throw new FluxError(`unsupported operator ${JSON.stringify(op.text)} at ${op.pos}`);
      }
      return { kind: 'compare', op: op.text, left, right: operand() };
    };
    const and = (): Predicate => {
      let left = comparison();
      while (peek().type === 'ident' && peek().text === 'and') {
        next();
        left = { kind: 'and', left, right: comparison() };
      }
      return left;
    };
    const or = (): Predicate => {
      let left = and();
      while (peek().type === 'ident' && peek().text === 'or') {
        next();
        left = { kind: 'or', left, right: and() };
      }
      return left;
    };
    return or();
  };

  const argument = (): Argument => {
    if (isPunct('[')) {
      next();
      const items: Literal[] = [];
      while (!isPunct(']')) {
        items.push(literal());
        if (!isPunct(']')) expect(',');
      }
      next();
      return { kind: 'array', items };
    }
    if (isPunct('(') && peek(1).type === 'ident' && isPunct(')', 2) && isPunct('=>', 3)) {
      next();
      const param = next().text;
      next();
      next();
      return { kind: 'function', body: predicate(param) };
    }
    return literal();
  };

  const call = (): Call => {
    const name = next();
    if (name.type !== 'ident') throw new FluxError(`expected a function call at ${name.pos}`);
    expect('(');
    const args = new Map<string, Argument>();
    while (!isPunct(')')) {
      const key = next();
      if (key.type !== 'ident') throw new FluxError(`expected a named argument at ${key.pos}`);
      expect(':');
      args.set(key.text, argument());
      if (!isPunct(')')) expect(',');
    }
    next();
    return { name: name.text, args };
  };

  const calls = [call()];
  while (isPunct('|>')) {
    next();
    calls.push(call());
  }
  const end = peek();
  if (end.type !== 'eof') throw new FluxError(`unexpected ${JSON.stringify(end.text)} at ${end.pos}`);
  const [from, ...rest] = calls as [Call, ...Call[]];
  if (from.name !== 'from') throw new FluxError(`a query starts with from(), not ${from.name}()`);
  checkArgs(from, ['bucket']);
  const bucket = from.args.get('bucket');
  if (bucket?.kind !== 'string') throw new FluxError('from() needs bucket: "<name>"');
  return { bucket: bucket.value, calls: rest };
}

function parseDuration(text: string): bigint {
  let ns = 0n;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    const perUnit = NS_PER_UNIT[unit as string];
    if (perUnit === undefined) throw new FluxError(`the fake InfluxDB does not support ${unit} durations`);
    ns += BigInt(amount as string) * perUnit;
  }
  return ns;
}

function checkArgs(call: Call, allowed: readonly string[]): void {
  for (const key of call.args.keys()) {
    if (!allowed.includes(key))
      throw new FluxError(`${call.name}() has no argument ${key} the fake understands`);
  }
}

type ColumnType = 'string' | 'double' | 'long' | 'unsignedLong' | 'boolean' | 'dateTime:RFC3339';
/** time and long are both bigint; the column's type tells them apart */
type Cell = string | number | bigint | boolean | null;
type Row = Record<string, Cell>;

interface Column {
  readonly label: string;
  readonly type: ColumnType;
}

interface Table {
  readonly columns: readonly Column[];
  readonly key: ReadonlySet<string>;
  readonly rows: readonly Row[];
}

interface FluxResult {
  readonly name: string;
  readonly tables: readonly Table[];
}

const COLUMN_TYPE: Readonly<Record<FieldType, ColumnType>> = {
  float: 'double',
  integer: 'long',
  unsigned: 'unsignedLong',
  string: 'string',
  boolean: 'boolean',
};

/**
 * Runs the pipeline after from(): range (required first), filter (==, !=, <, <=, >, >= on columns and
 * literals, with and, or, not), pivot, keep, drop, group (by or except), sort, limit and yield. Tables
 * come from storage by series key then field, as InfluxDB reads them; group() orders its tables by key.
 */
function runFlux(pipeline: Pipeline, series: ReadonlyMap<string, Series>, nowOverride?: bigint): FluxResult {
  const now = nowOverride ?? BigInt(Date.now()) * 1_000_000n;
  const [range, ...calls] = pipeline.calls;
  if (range?.name !== 'range') {
    throw new FluxError(
      `cannot submit unbounded read to "${pipeline.bucket}"; try bounding 'from' with a call to 'range'`,
    );
  }
  checkArgs(range, ['start', 'stop']);
  const start = timeArgument(range, 'start', now);
  const stop = range.args.has('stop') ? timeArgument(range, 'stop', now) : now;
  if (start >= stop) throw new FluxError('range: start must be before stop');
  let tables = readRange(series, start, stop);
  let name = '_result';
  calls.forEach((call, index) => {
    switch (call.name) {
      case 'filter': {
        checkArgs(call, ['fn']);
        const fn = call.args.get('fn');
        if (fn?.kind !== 'function') throw new FluxError('filter() needs fn: (r) => …');
        tables = tables
          .map((t) => ({ ...t, rows: t.rows.filter((row) => evaluate(fn.body, row, now)) }))
          .filter((t) => t.rows.length > 0);
        break;
      }
      case 'pivot':
        checkArgs(call, ['rowKey', 'columnKey', 'valueColumn']);
        tables = pivot(
          tables,
          stringList(call, 'rowKey'),
          stringList(call, 'columnKey'),
          stringArgument(call, 'valueColumn'),
        );
        break;
      case 'keep':
      case 'drop': {
        checkArgs(call, ['columns']);
        const listed = new Set(stringList(call, 'columns'));
        const kept = (label: string) => listed.has(label) === (call.name === 'keep');
        tables = tables.map((t) =>
          project(
            t,
            t.columns.filter((c) => kept(c.label)),
          ),
        );
        break;
      }
      case 'group': {
        checkArgs(call, ['columns', 'mode']);
        const columns = call.args.has('columns') ? stringList(call, 'columns') : [];
        const mode = call.args.has('mode') ? stringArgument(call, 'mode') : 'by';
        if (mode !== 'by' && mode !== 'except')
          throw new FluxError(`group() mode ${mode} is not by or except`);
        tables = regroup(tables, columns, mode);
        break;
      }
      case 'sort': {
        checkArgs(call, ['columns', 'desc']);
        const columns = call.args.has('columns') ? stringList(call, 'columns') : ['_value'];
        const desc = call.args.get('desc');
        if (desc !== undefined && desc.kind !== 'bool')
          throw new FluxError('sort() desc must be true or false');
        const sign = desc?.value ? -1 : 1;
        tables = tables.map((t) => ({
          ...t,
          rows: [...t.rows].sort((a, b) => sign * compareRows(a, b, columns)),
        }));
        break;
      }
      case 'limit': {
        checkArgs(call, ['n', 'offset']);
        const n = Number(intArgument(call, 'n'));
        const offset = call.args.has('offset') ? Number(intArgument(call, 'offset')) : 0;
        tables = tables
          .map((t) => ({ ...t, rows: t.rows.slice(offset, offset + n) }))
          .filter((t) => t.rows.length);
        break;
      }
      case 'yield':
        checkArgs(call, ['name']);
        if (index !== calls.length - 1)
          throw new FluxError('the fake InfluxDB supports yield() only at the end');
        if (call.args.has('name')) name = stringArgument(call, 'name');
        break;
      default:
        throw new FluxError(`the fake InfluxDB does not support ${call.name}()`);
    }
  });
  return { name, tables };
}

function readRange(series: ReadonlyMap<string, Series>, start: bigint, stop: bigint): Table[] {
  const tables: Table[] = [];
  for (const key of [...series.keys()].sort()) {
    const s = series.get(key) as Series;
    const tagKeys = Object.keys(s.tags).sort();
    const times = [...s.points.keys()].filter((t) => t >= start && t < stop).sort(compareBigint);
    const fieldKeys = new Set<string>();
    for (const t of times)
      for (const f of (s.points.get(t) as ReadonlyMap<string, FieldValue>).keys()) fieldKeys.add(f);
    for (const field of [...fieldKeys].sort()) {
      const rows: Row[] = [];
      let type: ColumnType = 'double';
      for (const t of times) {
        const value = s.points.get(t)?.get(field);
        if (value === undefined) continue;
        type = COLUMN_TYPE[fieldType(value)];
        const cell = typeof value === 'object' ? value.unsigned : value;
        rows.push({
          _start: start,
          _stop: stop,
          _time: t,
          _value: cell,
          _field: field,
          _measurement: s.measurement,
          ...s.tags,
        });
      }
      tables.push({
        columns: [
          { label: '_start', type: 'dateTime:RFC3339' },
          { label: '_stop', type: 'dateTime:RFC3339' },
          { label: '_time', type: 'dateTime:RFC3339' },
          { label: '_value', type },
          { label: '_field', type: 'string' },
          { label: '_measurement', type: 'string' },
          ...tagKeys.map((label): Column => ({ label, type: 'string' })),
        ],
        key: new Set(['_start', '_stop', '_field', '_measurement', ...tagKeys]),
        rows,
      });
    }
  }
  return tables;
}

function pivot(
  tables: readonly Table[],
  rowKey: readonly string[],
  columnKey: readonly string[],
  valueColumn: string,
): Table[] {
  interface Group {
    readonly keyColumns: readonly Column[];
    readonly rowKeyColumns: readonly Column[];
    readonly valueColumns: Map<string, ColumnType>;
    readonly rows: Map<string, Row>;
  }
  const groups = new Map<string, Group>();
  for (const table of tables) {
    const typeOf = (label: string) => {
      const column = table.columns.find((c) => c.label === label);
      if (!column) throw new FluxError(`pivot: specified column does not exist in table: ${label}`);
      return column;
    };
    const valueType = typeOf(valueColumn).type;
    for (const label of columnKey) {
      if (typeOf(label).type !== 'string') throw new FluxError(`pivot: column key ${label} must be a string`);
    }
    const rowKeyColumns = rowKey.map(typeOf);
    const keyColumns = table.columns.filter(
      (c) => table.key.has(c.label) && !columnKey.includes(c.label) && c.label !== valueColumn,
    );
    const groupId = cellsId(keyColumns.map((c) => table.rows[0]?.[c.label] ?? null));
    let group = groups.get(groupId);
    if (!group) {
      group = { keyColumns, rowKeyColumns, valueColumns: new Map(), rows: new Map() };
      groups.set(groupId, group);
    }
    for (const row of table.rows) {
      const label = columnKey.map((c) => String(row[c])).join('_');
      const known = group.valueColumns.get(label);
      if (known !== undefined && known !== valueType) {
        throw new FluxError(`pivot: schema collision: column ${label} is both ${known} and ${valueType}`);
      }
      group.valueColumns.set(label, valueType);
      const id = cellsId(rowKey.map((c) => row[c] ?? null));
      let target = group.rows.get(id);
      if (!target) {
        target = {};
        for (const c of keyColumns) target[c.label] = row[c.label] ?? null;
        for (const c of rowKey) target[c] = row[c] ?? null;
        group.rows.set(id, target);
      }
      target[label] = row[valueColumn] ?? null;
    }
  }
  return [...groups.values()].map((g) => {
    const valueColumns = [...g.valueColumns.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([label, type]): Column => ({ label, type }));
    const columns = [...g.keyColumns, ...g.rowKeyColumns, ...valueColumns];
    const rows = [...g.rows.values()].sort((a, b) => compareRows(a, b, rowKey));
    for (const row of rows) for (const c of valueColumns) row[c.label] ??= null;
    return { columns, key: new Set(g.keyColumns.map((c) => c.label)), rows };
  });
}

function project(table: Table, columns: readonly Column[]): Table {
  const labels = columns.map((c) => c.label);
  return {
    columns,
    key: new Set([...table.key].filter((label) => labels.includes(label))),
    rows: table.rows.map((row) => Object.fromEntries(labels.map((label) => [label, row[label] ?? null]))),
  };
}

function regroup(tables: readonly Table[], listed: readonly string[], mode: 'by' | 'except'): Table[] {
  const groups = new Map<string, { columns: Column[]; key: Set<string>; rows: Row[] }>();
  for (const table of tables) {
    const key = table.columns
      .map((c) => c.label)
      .filter((label) => listed.includes(label) === (mode === 'by'));
    for (const row of table.rows) {
      const id = cellsId(key.flatMap((label) => [label, row[label] ?? null]));
      let group = groups.get(id);
      if (!group) {
        group = { columns: [], key: new Set(key), rows: [] };
        groups.set(id, group);
      }
      for (const column of table.columns) {
        const known = group.columns.find((c) => c.label === column.label);
        if (!known) group.columns.push(column);
        else if (known.type !== column.type) {
          throw new FluxError(
            `group: schema collision: column ${column.label} is both ${known.type} and ${column.type}`,
          );
        }
      }
      group.rows.push(row);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      columns: g.columns,
      key: g.key,
      rows: g.rows.map((row) => Object.fromEntries(g.columns.map((c) => [c.label, row[c.label] ?? null]))),
    }));
}

/** A string that is equal for equal cell lists: the type prefix keeps 1 (long) apart from "1". */
function cellsId(cells: readonly Cell[]): string {
  return cells.map((c) => `${typeof c}:${String(c)}`).join('\u0000');
}

/** Ascending by the listed columns; nulls first, as Flux sorts them. */
function compareRows(a: Row, b: Row, columns: readonly string[]): number {
  for (const column of columns) {
    const order = compareCells(a[column] ?? null, b[column] ?? null);
    if (order !== 0) return order;
  }
  return 0;
}

function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'string' || typeof b === 'string') return String(a) < String(b) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function evaluate(p: Predicate, row: Row, now: bigint): boolean {
  switch (p.kind) {
    case 'and':
      return evaluate(p.left, row, now) && evaluate(p.right, row, now);
    case 'or':
      return evaluate(p.left, row, now) || evaluate(p.right, row, now);
    case 'not':
      return !evaluate(p.operand, row, now);
    case 'compare': {
      const left = operandValue(p.left, row, now);
      const right = operandValue(p.right, row, now);
      // Flux: a comparison with null is null, which filter treats as false
      if (left === null || right === null) return false;
      const order = compareCells(left, right);
      switch (p.op) {
        case '==':
          return order === 0;
        case '!=':
          return order !== 0;
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        default:
          return order >= 0;
      }
    }
  }
}

function operandValue(o: Operand, row: Row, now: bigint): Cell {
  switch (o.kind) {
    case 'column':
      return row[o.name] ?? null;
    case 'string':
    case 'float':
    case 'int':
    case 'bool':
      return o.value;
    case 'time':
      return o.ns;
    case 'now':
      return now;
    case 'duration':
      throw new FluxError('a duration cannot be compared with a column');
  }
}

function timeArgument(call: Call, key: string, now: bigint): bigint {
  const arg = call.args.get(key);
  switch (arg?.kind) {
    case 'time':
      return arg.ns;
    case 'duration':
      return now + arg.ns;
    case 'int':
      return arg.value * 1_000_000_000n;
    case 'now':
      return now;
    default:
      throw new FluxError(`${call.name}() needs ${key} as a time, a duration or Unix seconds`);
  }
}

function stringArgument(call: Call, key: string): string {
  const arg = call.args.get(key);
  if (arg?.kind !== 'string') throw new FluxError(`${call.name}() needs ${key} as a string`);
  return arg.value;
}

function intArgument(call: Call, key: string): bigint {
  const arg = call.args.get(key);
  if (arg?.kind !== 'int') throw new FluxError(`${call.name}() needs ${key} as an integer`);
  return arg.value;
}

function stringList(call: Call, key: string): string[] {
  const arg = call.args.get(key);
  if (arg?.kind !== 'array' || !arg.items.every((i) => i.kind === 'string')) {
    throw new FluxError(`${call.name}() needs ${key} as a list of strings`);
  }
  return arg.items.map((i) => (i as { value: string }).value);
}

// ─── Annotated CSV ──────────────────────────────────────────────────────────────────────────────

const CRLF = '\r\n';
const FLUSH_CHARS = 64 * 1024;

/**
 * Writes a result as flux/csv's ResultEncoder does: annotations and header only when the column list
 * changes (a blank line before every block but the first), `,result,table,…` columns, CRLF line ends,
 * and the delimiter CRLF after the result. Respects backpressure.
 */
async function writeAnnotatedCsv(
  res: ServerResponse,
  result: FluxResult,
  dialect: Dialect,
  hold: { readonly rows: number; readonly reached: () => void; readonly released: Promise<void> } | undefined,
): Promise<void> {
  let buffer = '';
  let rowsSent = 0;
  const flush = async () => {
    if (buffer === '' || res.destroyed) return;
    const ok = res.write(buffer);
    buffer = '';
    // a client that goes away never drains
    if (!ok) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  };
  const withDefault = dialect.annotations.includes('default');
  let lastSchema: string | undefined;
  for (const [index, table] of result.tables.entries()) {
    const schema = table.columns.map((c) => `${c.label}:${c.type}`).join(',');
    if (schema !== lastSchema) {
      if (lastSchema !== undefined) buffer += CRLF;
      for (const annotation of dialect.annotations) {
        const cells =
          annotation === 'datatype'
            ? ['string', 'long', ...table.columns.map((c) => c.type)]
            : annotation === 'group'
              ? ['false', 'false', ...table.columns.map((c) => String(table.key.has(c.label)))]
              : [result.name, '', ...table.columns.map(() => '')];
        buffer += csvRow([`#${annotation}`, ...cells]);
      }
      if (dialect.header) buffer += csvRow(['', 'result', 'table', ...table.columns.map((c) => c.label)]);
      lastSchema = schema;
    }
    const prefix = `,${withDefault ? '' : csvField(result.name)},${index}`;
    for (const row of table.rows) {
      let line = prefix;
      for (const column of table.columns)
        line += `,${csvField(formatCell(row[column.label] ?? null, column.type))}`;
      buffer += line + CRLF;
      rowsSent++;
      if (hold && rowsSent === hold.rows) {
        await flush();
        hold.reached();
        await hold.released;
      }
      if (buffer.length >= FLUSH_CHARS) await flush();
      if (res.destroyed) return;
    }
  }
  buffer += CRLF;
  await flush();
  res.end();
}

function csvRow(cells: readonly string[]): string {
  return cells.map(csvField).join(',') + CRLF;
}

/** Go encoding/csv with UseCRLF: quotes when needed, doubles quotes, writes a newline as CRLF. */
function csvField(value: string): string {
  if (value === '') return value;
  const needsQuotes = /[",\r\n]/.test(value) || value === '\\.' || /^\s/u.test(value);
  if (!needsQuotes) return value;
  return `"${value.replace(/"/g, '""').replace(/\r/g, '').replace(/\n/g, CRLF)}"`;
}

function formatCell(value: Cell, type: ColumnType): string {
  if (value === null) return '';
  switch (type) {
    case 'dateTime:RFC3339':
      return formatRfc3339Nano(value as bigint);
    case 'double':
      return formatFloat(value as number);
    default:
      return String(value);
  }
}

/** Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros, none when zero. */
export function formatRfc3339Nano(ns: bigint): string {
  let seconds = ns / 1_000_000_000n;
  let fraction = ns % 1_000_000_000n;
  if (fraction < 0n) {
    fraction += 1_000_000_000n;
    seconds -= 1n;
  }
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  if (fraction === 0n) return `${base}Z`;
  return `${base}.${fraction.toString().padStart(9, '0').replace(/0+$/, '')}Z`;
}

/** RFC3339 with any number of fractional digits, or a bare date; nanoseconds since the epoch. */
export function parseRfc3339(text: string): bigint | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const [, date, time = '00:00:00', fraction = '', zone = 'Z'] = m;
  const ms = Date.parse(`${date}T${time}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt(fraction.padEnd(9, '0'));
}

/** Go's strconv.FormatFloat(x, 'f', -1, 64): the shortest digits that round-trip, never an exponent. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(x, -0)) return '-0';
  const text = String(x);
  const e = text.indexOf('e');
  if (e === -1) return text;
  const sign = text.startsWith('-') ? '-' : '';
  const mantissa = text.slice(sign.length, e);
  const exponent = Number(text.slice(e + 1));
  const point = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const pointAt = (point === -1 ? mantissa.length : point) + exponent;
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return sign + digits + '0'.repeat(pointAt - digits.length);
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}
