import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHANNELS } from '@pdm/contract';
import { MetricsRegistry, RateLimitedLog } from '@pdm/service-kit';
import { SampleStore } from '@pdm/store';
import {
  alert,
  MODEL,
  prediction,
  RUL_MODEL,
  rulLow,
  rulPrediction,
  T0,
  telemetry,
} from '@pdm/store/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertsResponse,
  type ErrorResponse,
  MAX_POINTS,
  type ModelResponse,
  type PredictionsResponse,
  type SeriesResponse,
  type StatesResponse,
} from './api/contract.ts';
import { FleetState } from './fleet-state.ts';
import { createSqliteHistory } from './history/sqlite.ts';
import { loadWebAssets } from './http/web-assets.ts';
import { LiveData, liveMetrics } from './live.ts';
import { LiveScoring } from './scoring.ts';
import { buildServer, type DashboardServer, SECURITY_HEADERS } from './server.ts';
import { SseHub } from './sse.ts';

const silent = pino({ level: 'silent' });
const USER = 'admin';
const PASSWORD = 'correct horse battery staple';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const AUTHORIZED = { authorization: basic(USER, PASSWORD) };

/**
 * The server with real parts: no broker needed, and the store at `sqlitePath`, by default a file that does
 * not exist (yet).
 */
async function serverWith(
  dir: string,
  auth: boolean,
  sqlitePath = join(dir, 'absent.sqlite'),
): Promise<{ app: DashboardServer; close(): Promise<void> }> {
  const registry = new MetricsRegistry();
  const fleet = new FleetState({ staleAfterMs: 30_000, offlineAfterMs: 300_000, maxPumps: 100 });
  const hub = new SseHub({ heartbeatMs: 60_000, maxBufferedBytes: 1 << 20 });
  const scoring = new LiveScoring();
  const live = new LiveData({
    fleet,
    scoring,
    hub,
    metrics: liveMetrics(registry),
    log: new RateLimitedLog(silent),
  });
  const history = createSqliteHistory(sqlitePath, silent, { retryMs: 60_000 });
  const app = await buildServer(
    { auth: auth ? { user: USER, password: PASSWORD } : undefined, logger: silent },
    {
      fleet,
      live,
      hub,
      scoring,
      history,
      model: { serving: null },
      pipeline: {
        figures: () => ({
          ingestPerS: null,
          predictionsPerS: null,
          inferenceLatencyP99Ms: null,
          backlog: null,
          scrape: [],
        }),
      },
      services: ['acquisition', 'inference'],
      assets: loadWebAssets(join(dir, 'web')),
      registry,
      health: () => ({ mqtt: 'connecting' }),
    },
  );
  return {
    app,
    async close() {
      hub.close();
      await app.close();
      await history.close();
    },
  };
}

describe('the dashboard API', () => {
  let dir: string;
  let open: Awaited<ReturnType<typeof serverWith>>;
  let guarded: Awaited<ReturnType<typeof serverWith>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pdm-dashboard-server-'));
    const web = join(dir, 'web');
    await import('node:fs/promises').then((fs) => fs.mkdir(web));
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Pump fleet</title>');
    writeFileSync(join(web, 'app.js'), 'export {};');
    open = await serverWith(dir, false);
    guarded = await serverWith(dir, true);
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string) => open.app.inject({ method: 'GET', url });
  const problemsOf = async (url: string): Promise<{ status: number; body: ErrorResponse }> => {
    const response = await get(url);
    return { status: response.statusCode, body: response.json() as ErrorResponse };
  };

  describe('answers bad parameters with a 400 that names each one', () => {
    it.each([
      ['a pump id with characters ids may not have', '/api/pumps/%3Cimg%20src%3Dx%3E/series', 'id'],
      ['a pump id longer than 64 characters', `/api/pumps/${'p'.repeat(65)}/states`, 'id'],
      ['`from` after `to`', '/api/pumps/p1/series?from=2000&to=1000', 'from'],
      ['`from` equal to `to`', '/api/pumps/p1/states?from=1000&to=1000', 'from'],
      ['a range over 31 days', `/api/pumps/p1/series?from=0&to=${32 * 86_400_000}`, 'from'],
      ['a range over 31 days up to now, `to` left out', '/api/pumps/p1/series?from=0', 'from'],
      [
        'a `from` in the future, `to` left out',
        `/api/pumps/p1/series?from=${Date.now() + 3_600_000}`,
        'from',
      ],
      ['a time that is not a number', '/api/pumps/p1/series?from=yesterday', 'from'],
      ['an unknown state', '/api/fleet?state=HEALTHY,ON_FIRE', 'state'],
      ['a glob with characters ids never have', '/api/fleet?pattern=%2F%2F', 'pattern'],
      ['an unknown sort', '/api/fleet?sort=colour', 'sort'],
      ['a limit of 0', '/api/pumps/p1/predictions?limit=0', 'limit'],
      ['a limit above 1000', '/api/pumps/p1/predictions?limit=1001', 'limit'],
      ['an alerts limit above 5000', '/api/alerts?limit=5001', 'limit'],
      ['an unknown alert kind', '/api/alerts?kind=maybe', 'kind'],
      ['alerts `from` after `to`', '/api/alerts?from=5&to=4', 'from'],
      ['a bad pump on the event stream', '/api/events?pump=a%20b', 'pump'],
    ])('%s', async (_what, url, parameter) => {
      const { status, body } = await problemsOf(url);
      expect(status).toBe(400);
      expect(body.error).toMatch(/^invalid (querystring|params)$/);
      expect(body.problems.some((p) => p.startsWith(`${parameter}: `))).toBe(true);
    });

    it('names every bad parameter of one request', async () => {
      const { body } = await problemsOf('/api/alerts?limit=0&kind=maybe&pump=%2F');
      expect(body.problems.map((p) => p.split(':')[0]).sort()).toEqual(['kind', 'limit', 'pump']);
    });
  });

  it('answers an unknown API route with a JSON 404 that points at the OpenAPI document', async () => {
    const response = await get('/api/pumps');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect((response.json() as ErrorResponse).problems[0]).toContain('/api/openapi.json');
  });

  it('says the store is not there yet with a 503, and serves the live views meanwhile', async () => {
    const { status, body } = await problemsOf('/api/pumps/p1/series');
    expect(status).toBe(503);
    expect(body.problems[0]).toMatch(/no SQLite store at .*absent\.sqlite/);
    expect((await get('/api/fleet')).statusCode).toBe(200);
    expect((await get('/api/pipeline')).json()).toMatchObject({
      services: [
        { service: 'acquisition', status: 'unknown' },
        { service: 'inference', status: 'unknown' },
      ],
      deadLetters: { byReason: [], recent: [] },
    });
    expect((await get('/api/model')).json()).toEqual({ serving: null, history: [], live: null });
  });

  it('documents every route in the OpenAPI document, with its parameters', async () => {
    const doc = (await get('/api/openapi.json')).json() as {
      openapi: string;
      paths: Record<string, { get: { parameters?: { name: string; in: string }[] } }>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/alerts',
      '/api/events',
      '/api/fleet',
      '/api/model',
      '/api/pipeline',
      '/api/pumps/{id}/predictions',
      '/api/pumps/{id}/series',
      '/api/pumps/{id}/states',
      '/healthz',
      '/metrics',
    ]);
    const series = doc.paths['/api/pumps/{id}/series']?.get.parameters?.map((p) => `${p.in}:${p.name}`);
    expect(series?.sort()).toEqual(['path:id', 'query:from', 'query:to']);
  });

  it('serves the page with its content types, and a 304 for what the browser has', async () => {
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('Pump fleet');
    const script = await get('/app.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('no-cache');
    const again = await open.app.inject({
      method: 'GET',
      url: '/app.js',
      headers: { 'if-none-match': String(script.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it.each([
    ['the page', '/'],
    ['an API answer', '/api/fleet'],
    ['a 400', '/api/fleet?sort=x'],
    ['a 404', '/nowhere'],
    ['the health check', '/healthz'],
  ])(
    'sends the strict Content-Security-Policy and the other security headers with %s',
    async (_what, url) => {
      const response = await get(url);
      for (const [name, value] of Object.entries(SECURITY_HEADERS))
        expect(response.headers[name]).toBe(value);
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    },
  );

  describe('with DASHBOARD_PASSWORD set', () => {
    const request = (url: string, headers: Record<string, string> = {}) =>
      guarded.app.inject({ method: 'GET', url, headers });

    it.each([
      ['no credentials', {}],
      ['a wrong password', { authorization: basic(USER, 'wrong') }],
      ['a wrong user', { authorization: basic('root', PASSWORD) }],
      ['a password with something appended', { authorization: basic(USER, `${PASSWORD}x`) }],
      ['not Basic', { authorization: 'Bearer abc' }],
    ])('refuses %s with a 401 and a Basic challenge', async (_what, headers) => {
      for (const url of ['/', '/api/fleet', '/api/openapi.json', '/metrics', '/app.js', '/api/nothing']) {
        const response = await request(url, headers);
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Basic realm="pump-pdm"');
        expect(response.headers['content-security-policy']).toBe(SECURITY_HEADERS['content-security-policy']);
      }
    });

    it('lets the right user and password in', async () => {
      expect((await request('/', AUTHORIZED)).statusCode).toBe(200);
      expect((await request('/api/fleet', AUTHORIZED)).statusCode).toBe(200);
      expect((await request('/metrics', AUTHORIZED)).statusCode).toBe(200);
    });

    it('leaves /healthz open for the container’s health check', async () => {
      const response = await request('/healthz');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ status: 'ok', mqtt: 'connecting' });
    });
  });
});

describe('the dashboard API on a store acquisition wrote', () => {
  let dir: string;
  let server: Awaited<ReturnType<typeof serverWith>>;
  const at = (s: number) => T0 + s * 1000;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pdm-dashboard-server-'));
    const path = join(dir, 'pdm.sqlite');
    const writer = SampleStore.open(path);
    const seconds = Array.from({ length: 3000 }, (_, i) => at(i));
    writer.write({
      samples: seconds.map((ts) => ({ sample: telemetry('pump-1', ts), source: 'telemetry' as const })),
      predictions: [
        ...seconds.map((ts) => ({ prediction: prediction('pump-1', ts) })),
        // pump-3 is served by a RUL model too, and its RUL ran low
        { prediction: rulPrediction('pump-3', at(49), 6.5) },
        { prediction: rulPrediction('pump-3', at(50), 6.25) },
      ],
      alerts: [
        { alert: alert('pump-1', at(100)) },
        { alert: alert('pump-2', at(200)) },
        { alert: rulLow('pump-3', at(50), 6.25) },
      ],
    });
    writer.close();
    server = await serverWith(dir, false, path);
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async <T>(url: string): Promise<T> => {
    const response = await server.app.inject({ method: 'GET', url });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as T;
  };

  it('answers a pump’s series downsampled to at most MAX_POINTS, with the ISO 10816 bounds', async () => {
    const series = await get<SeriesResponse>(`/api/pumps/pump-1/series?from=${at(0)}&to=${at(3000)}`);
    expect(series.bucketMs).toBeGreaterThan(0);
    expect(series.t.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(Object.keys(series.max).sort()).toEqual([...CHANNELS].sort());
    expect(series.isoBounds).toEqual([2.3, 4.5, 7.1]);
  });

  it('answers a pump’s state timeline with its alerts, its last predictions, and the alerts', async () => {
    const states = await get<StatesResponse>(`/api/pumps/pump-1/states?from=${at(0)}&to=${at(3000)}`);
    expect(states.t.length).toBeLessThanOrEqual(MAX_POINTS);
    expect(states.alerts.map((a) => a.ts)).toEqual([at(100)]);
    const last = await get<PredictionsResponse>(`/api/pumps/pump-1/predictions?before=${at(10)}&limit=3`);
    expect(last.rows.map((r) => r.ts)).toEqual([at(9), at(8), at(7)]);
    const alerts = await get<AlertsResponse>('/api/alerts?pump=pump-2');
    expect(alerts.history.map((a) => a.pumpId)).toEqual(['pump-2']);
    expect(alerts.open.map((a) => a.pumpId)).toEqual(['pump-2', 'pump-1', 'pump-3']);
    // the state model's versions only: the RUL model's are not reloads of it
    expect((await get<ModelResponse>('/api/model')).history.map((m) => m.version)).toEqual([MODEL]);
  });

  it('answers a pump’s RUL in its predictions and its state timeline, and its rul_low alerts, open until a recovery', async () => {
    const last = await get<PredictionsResponse>(`/api/pumps/pump-3/predictions?before=${at(60)}`);
    expect(last.rows.map((r) => [r.rulH, r.rulModelVersion])).toEqual([
      [6.25, RUL_MODEL],
      [6.5, RUL_MODEL],
    ]);
    const withoutRul = await get<PredictionsResponse>(
      `/api/pumps/pump-1/predictions?before=${at(10)}&limit=1`,
    );
    expect(withoutRul.rows[0]).not.toHaveProperty('rulH');
    const states = await get<StatesResponse>(`/api/pumps/pump-3/states?from=${at(0)}&to=${at(100)}`);
    expect(states.rulH).toEqual([6.5, 6.25]);
    const lows = await get<AlertsResponse>('/api/alerts?kind=rul_low');
    expect(lows.history.map((a) => [a.pumpId, a.kind, a.evidence.rulH])).toEqual([
      ['pump-3', 'rul_low', 6.25],
    ]);
    expect(lows.open.find((a) => a.pumpId === 'pump-3')?.kind).toBe('rul_low');
  });
});
