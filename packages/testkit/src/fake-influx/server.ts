/**
 * A fake InfluxDB 2.x on a free port, for tests and benchmarks of code that writes line protocol and
 * reads Flux results, on machines that cannot run the real one. It speaks the real protocol strictly:
 * token auth, org and bucket lookup, gzip bodies, the InfluxDB line protocol grammar and its error
 * messages, annotated CSV as flux/csv encodes it (CRLF, RFC3339Nano, shared headers, blank line between
 * schemas), /health and /ping. The contract test in @pdm/influx runs the same round trip against a
 * real InfluxDB to keep this honest.
 *
 * Differences, on purpose: a batch with one bad line is rejected whole (InfluxDB keeps the good lines);
 * Flux is the subset listed at `runFlux`; query answers are never gzipped; everything lives in memory,
 * unless a `journal` file keeps the accepted writes for the next start (journal.ts).
 *
 * This module is the HTTP side: routing, auth, fault injection and inspection. The protocol lives in
 * line-protocol.ts, write.ts, flux.ts and annotated-csv.ts.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RowHold, writeAnnotatedCsv } from './annotated-csv.ts';
import { FluxError, type FluxResult, parseFlux, runFlux } from './flux.ts';
import { type Journal, openJournal } from './journal.ts';
import { isPrecision, LineScanner } from './line-protocol.ts';
import { readQueryRequest } from './query.ts';
import { type Bucket, countPoints, emptyBucket, type FakePoint, listPoints } from './storage.ts';
import { decodeBody, writeBatch } from './write.ts';

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
  /** address to listen on; default 127.0.0.1 */
  readonly host?: string;
  /** port to listen on; default a free one */
  readonly port?: number;
  /**
   * a file that keeps every accepted write, on disk before the 204, and is replayed at start: the points
   * outlive the process (the deployment test's InfluxDB stand-in keeps it in its volume)
   */
  readonly journal?: string;
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

const VERSION = 'v2.8.0';

interface Pending {
  remaining: number;
}

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
  let hold: RowHold | undefined;
  /** wakes every delayed request and held query, so stop() does not wait for them */
  const wakers = new Set<() => void>();

  const resetData = () => {
    buckets.clear();
    for (const name of bucketNames) buckets.set(name, emptyBucket());
  };
  resetData();

  /** one for all write bodies, as each is parsed start to end without a pause: it learns the writer's keys */
  const scanner = new LineScanner();

  const journal: Journal | undefined =
    options.journal === undefined
      ? undefined
      : openJournal(options.journal, ({ bucket, precision, body }) => {
          const target = buckets.get(bucket);
          if (target) writeBatch(target, body, precision, scanner, storePoints);
        });

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
    const body = await decodeBody(raw, req.headers['content-encoding'] ?? 'identity');
    if (!Buffer.isBuffer(body)) {
      respondError(req, res, raw.length, body.status, body.message);
      return;
    }
    if (recordLines) for (const line of body.toString('utf8').split('\n')) if (line !== '') lines.push(line);
    const outcome = writeBatch(bucket, body, precision, scanner, storePoints);
    if (outcome.status !== 204) {
      respondError(req, res, raw.length, outcome.status, outcome.message);
      return;
    }
    linesAccepted += outcome.lines;
    journal?.append({ bucket: bucketName, precision, body });
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
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (err) {
    journal?.close();
    throw err;
  }
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
    points(bucket = firstBucket): FakePoint[] {
      return listPoints(bucketOf(bucket));
    },
    rawLines: () => lines,
    requests: () => log,
    stats() {
      let pointsStored = 0;
      for (const bucket of buckets.values()) pointsStored += countPoints(bucket);
      return { requests: log.length, byStatus: { ...byStatus }, linesAccepted, pointsStored };
    },
    reset() {
      resetData();
      journal?.clear();
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
      journal?.close();
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
