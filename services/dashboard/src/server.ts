/**
 * The HTTP side: fastify with the zod type provider. Every route validates its params and query with the
 * schemas of api/contract.ts (bad input: 400 with an ErrorResponse naming each parameter), the OpenAPI
 * document is generated from the same schemas, the page's files are served from memory, and every answer
 * carries a strict Content-Security-Policy. Basic authentication guards everything but /healthz.
 */
import swagger from '@fastify/swagger';
import { InfluxError, type InfluxErrorCode } from '@pdm/influx';
import type { Logger, MetricsRegistry } from '@pdm/service-kit';
import Fastify, { type FastifyError, type FastifyReply, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import {
  alertsQuery,
  type ErrorResponse,
  eventsQuery,
  fleetQuery,
  MAX_RANGE_MS,
  type ModelResponse,
  type PipelineResponse,
  predictionsQuery,
  pumpParams,
  RANGE_PROBLEMS,
  rangeQuery,
} from './api/contract.ts';
import type { FleetState } from './fleet-state.ts';
import { type History, HistoryUnavailableError } from './history/history.ts';
import { basicAuthCheck, CHALLENGE } from './http/auth.ts';
import type { WebAsset } from './http/web-assets.ts';
import type { LiveData } from './live.ts';
import type { PipelineFigures } from './pipeline.ts';
import { type Range, seriesOf, statesOf } from './pump-history.ts';
import { alertRow, predictionRow } from './rows.ts';
import type { LiveScoring } from './scoring.ts';
import { type SseHub, sseEvent } from './sse.ts';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** InfluxDB failures that say the store cannot be read now (503), rather than that a request was wrong. */
const STORE_DOWN: ReadonlySet<InfluxErrorCode> = new Set([
  'unreachable',
  'timeout',
  'unavailable',
  'unauthorized',
  'not_found',
]);

/** Whether an error says the store cannot be read now, rather than that something is wrong. */
function storeDown(err: unknown): boolean {
  return err instanceof HistoryUnavailableError || (err instanceof InfluxError && STORE_DOWN.has(err.code));
}

/** The range a pump view shows when the query gives none. */
export const DEFAULT_RANGE_MS = 15 * 60_000;
/** Dead letters listed on the pipeline view. */
const RECENT_DEAD_LETTERS = 20;

export interface ServerSettings {
  /** Basic authentication; none when undefined */
  readonly auth: { readonly user: string; readonly password: string } | undefined;
  readonly logger: Logger;
}

/** What the routes read from; each part is built and owned by app.ts. */
export interface ServerParts {
  readonly fleet: FleetState;
  readonly live: LiveData;
  readonly hub: SseHub;
  readonly scoring: LiveScoring;
  readonly history: History;
  readonly model: { readonly serving: ModelResponse['serving'] };
  readonly pipeline: { figures(): PipelineFigures };
  /** services expected on the pipeline view (METRICS_URLS names) even before their status is seen */
  readonly services: readonly string[];
  readonly assets: ReadonlyMap<string, WebAsset>;
  readonly registry: MetricsRegistry;
  readonly health: () => Readonly<Record<string, unknown>>;
  readonly now?: () => number;
}

/** A 4xx/5xx answer the routes raise; the error handler writes it as an ErrorResponse. */
export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: string,
    readonly problems: readonly string[],
  ) {
    super(`${error}: ${problems.join('; ')}`);
  }
}

export async function buildServer(settings: ServerSettings, parts: ServerParts) {
  const now = parts.now ?? Date.now;
  const log = settings.logger;
  const app = Fastify({
    loggerInstance: log,
    // One line per request would drown the service's own log; errors are logged by the handler below.
    logController: new LogController({ disableRequestLogging: true }),
    // An SSE stream is ended by the hub first; idle keep-alive sockets must not hold the close.
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const requests = parts.registry.counter(
    'pdm_dashboard_http_requests_total',
    'HTTP requests answered, by route and status code',
    ['route', 'code'],
  );
  app.addHook('onResponse', async (request, reply) => {
    requests.inc({ route: request.routeOptions.url ?? 'unmatched', code: String(reply.statusCode) });
  });

  const authorized = settings.auth ? basicAuthCheck(settings.auth.user, settings.auth.password) : undefined;
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    if (!authorized || request.url === '/healthz' || request.url.startsWith('/healthz?')) return;
    if (authorized(request.headers.authorization)) return;
    reply.code(401).header('www-authenticate', CHALLENGE);
    return reply.send(
      errorBody('authentication required', ['send the dashboard user and password (HTTP Basic)']),
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const where = error.validationContext ?? 'request';
      const problems = error.validation.map((v) => {
        // `/state/1`: the parameter, then where in its list.
        const [name = where, ...inside] = v.instancePath.split('/').filter((s) => s !== '');
        const item =
          inside.length > 0 && /^\d+$/.test(inside[0] as string) ? `item ${Number(inside[0]) + 1}: ` : '';
        return `${name}: ${item}${v.message ?? 'invalid'}`;
      });
      return reply.code(400).send(errorBody(`invalid ${where}`, [...new Set(problems)]));
    }
    if (error instanceof HttpProblem)
      return reply.code(error.statusCode).send(errorBody(error.error, error.problems));
    if (storeDown(error)) return reply.code(503).send(errorBody('history unavailable', [error.message]));
    if (error.statusCode !== undefined && error.statusCode < 500)
      return reply.code(error.statusCode).send(errorBody(error.message, []));
    log.error({ err: error, url: request.url }, 'request failed');
    return reply.code(500).send(errorBody('internal error', ['see the dashboard log']));
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    reply
      .code(404)
      .send(
        errorBody('not found', [
          path.startsWith('/api/')
            ? `no API route ${request.method} ${path}; see /api/openapi.json`
            : `nothing at ${path}`,
        ]),
      );
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'pump-pdm dashboard API',
        version: '1',
        description:
          'The JSON API the dashboard page uses. Times are epoch milliseconds; every 4xx answer is an ErrorResponse { error, problems[] }.',
      },
    },
    transform: jsonSchemaTransform,
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get(
    '/api/fleet',
    {
      schema: {
        summary: 'every pump’s tile, counts per state, filtered and sorted',
        querystring: fleetQuery,
      },
    },
    async (request) => parts.fleet.snapshot(request.query, now()),
  );

  app.get(
    '/api/events',
    {
      schema: {
        summary:
          'Server-Sent Events: fleet (changed tiles, at most once a second; the first holds every tile), alert, status; with ?pump= that pump’s sample and prediction',
        querystring: eventsQuery,
      },
    },
    async (request, reply) => {
      const at = now();
      const first = [
        sseEvent('fleet', JSON.stringify(parts.fleet.fullDelta(at))),
        ...parts.live.statuses().map((s) => sseEvent('status', JSON.stringify(s))),
      ].join('');
      reply.hijack();
      parts.hub.add(reply.raw, headersOf(reply), request.query.pump, first);
    },
  );

  app.get(
    '/api/pumps/:id/series',
    {
      schema: {
        summary: 'the nine channels over a range, min/max per bucket, at most MAX_POINTS points',
        params: pumpParams,
        querystring: rangeQuery,
      },
    },
    async (request) => seriesOf(parts.history, request.params.id, resolveRange(request.query, now())),
  );

  app.get(
    '/api/pumps/:id/states',
    {
      schema: {
        summary: 'the smoothed and raw state timelines, the class probabilities and the alerts over a range',
        params: pumpParams,
        querystring: rangeQuery,
      },
    },
    async (request) => statesOf(parts.history, request.params.id, resolveRange(request.query, now())),
  );

  app.get(
    '/api/pumps/:id/predictions',
    {
      schema: {
        summary: 'the pump’s last predictions before a time, newest first',
        params: pumpParams,
        querystring: predictionsQuery,
      },
    },
    async (request) => {
      const { id } = request.params;
      const rows = await parts.history.lastPredictions(
        id,
        request.query.before ?? now(),
        request.query.limit,
      );
      return { pumpId: id, rows: rows.map(predictionRow) };
    },
  );

  app.get(
    '/api/alerts',
    {
      schema: {
        summary: 'open alarms, and the alerts matching the query, newest first',
        querystring: alertsQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const open = await parts.history.openAlarms();
      const history = await parts.history.alerts({
        pumpId: q.pump,
        kind: q.kind,
        fromMs: q.from,
        toMs: q.to,
        limit: q.limit,
      });
      return { open: open.map(alertRow), history: history.map(alertRow) };
    },
  );

  app.get(
    '/api/model',
    { schema: { summary: 'the serving model’s report, the versions seen, and live accuracy' } },
    async (): Promise<ModelResponse> => ({
      serving: parts.model.serving,
      history: await orWhenUnavailable(() => parts.history.modelVersions(), []),
      live: parts.scoring.summary(),
    }),
  );

  app.get(
    '/api/pipeline',
    { schema: { summary: 'rates, latency, backlog, dead letters, service status, unreadable messages' } },
    async (): Promise<PipelineResponse> => {
      const deadLetters = await orWhenUnavailable(
        () => parts.history.deadLetters(RECENT_DEAD_LETTERS),
        undefined,
      );
      return {
        services: servicesOf(parts.live, parts.services),
        ...parts.pipeline.figures(),
        deadLetters: deadLetters ?? { byReason: [], recent: [] },
        invalidOnBus: parts.live.invalidOnBus(),
      };
    },
  );

  app.get(
    '/healthz',
    { schema: { summary: 'liveness and the state of MQTT and the store; no login' } },
    async () => ({
      status: 'ok',
      ...parts.health(),
    }),
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics of the dashboard itself' } },
    async (_request, reply) => {
      const text = await parts.registry.metrics();
      return reply.type(parts.registry.contentType).send(text);
    },
  );

  for (const [path, asset] of parts.assets) {
    app.get(path, { schema: { hide: true } }, async (request, reply) => {
      reply.header('etag', asset.etag).header('cache-control', asset.cacheControl).type(asset.contentType);
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }

  return app;
}

function errorBody(error: string, problems: readonly string[]): ErrorResponse {
  return { error, problems };
}

/** The headers set on the reply so far (the security headers), for a response written by hand. */
function headersOf(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) headers[name] = String(value);
  return headers;
}

/**
 * `to` defaults to now and `from` to DEFAULT_RANGE_MS before it; the schema checked the range when both
 * were given, this checks it when one was defaulted.
 */
export function resolveRange(
  query: { from?: number | undefined; to?: number | undefined },
  now: number,
): Range {
  const toMs = query.to ?? now;
  const fromMs = query.from ?? Math.max(0, toMs - DEFAULT_RANGE_MS);
  if (fromMs >= toMs) throw new HttpProblem(400, 'invalid querystring', [`from: ${RANGE_PROBLEMS.order}`]);
  if (toMs - fromMs > MAX_RANGE_MS)
    throw new HttpProblem(400, 'invalid querystring', [`from: ${RANGE_PROBLEMS.span}`]);
  return { fromMs, toMs };
}

async function orWhenUnavailable<T, D>(read: () => Promise<T>, fallback: D): Promise<T | D> {
  try {
    return await read();
  } catch (err) {
    if (storeDown(err)) return fallback;
    throw err;
  }
}

/** Every service whose status topic was seen, and those named in METRICS_URLS as unknown until then. */
function servicesOf(live: LiveData, expected: readonly string[]): PipelineResponse['services'] {
  const seen = live.statuses();
  const names = new Set(seen.map((s) => s.service));
  const unknown = expected
    .filter((name) => !names.has(name))
    .map((service) => ({ service, status: 'unknown' as const, since: 0 }));
  return [...seen, ...unknown].sort((a, b) => (a.service < b.service ? -1 : 1));
}

export type DashboardServer = Awaited<ReturnType<typeof buildServer>>;
