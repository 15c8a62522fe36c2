/** Wires the live data, the history, the model report, the pipeline scraper and the HTTP server; start/stop. */

import { clipTopic } from '@pdm/contract';
import {
  connectMqtt,
  type Logger,
  MetricsRegistry,
  type MqttConnection,
  RateLimitedLog,
  shutdownInOrder,
} from '@pdm/service-kit';
import { FleetState } from './fleet-state.ts';
import { type HistorySettings, openHistory } from './history/index.ts';
import { ensureWebBuilt, loadWebAssets, WEB_OUT_DIR, WEB_SOURCE_DIR } from './http/web-assets.ts';
import { LIVE_FILTERS, LiveData, liveMetrics } from './live.ts';
import { ModelReport } from './model.ts';
import type { MetricsTarget } from './options.ts';
import { DEFAULT_SCRAPE, PipelineScraper, type ScrapeSettings } from './pipeline.ts';
import { LiveScoring } from './scoring.ts';
import { buildServer, type DashboardServer } from './server.ts';
import { SseHub } from './sse.ts';

/** Pumps the fleet view holds at most (the 10,000 with room to spare). */
export const MAX_PUMPS = 50_000;
const TICK_MS = 1_000;
const SSE_HEARTBEAT_MS = 15_000;
/** A client this far behind is dropped: some seconds of a 10,000-pump fleet's deltas. */
const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const HISTORY_FILL_RETRY_MS = 2_000;

export interface DashboardSettings {
  readonly http: { readonly host: string; readonly port: number };
  readonly auth: { readonly user: string; readonly password: string } | undefined;
  readonly mqtt: {
    readonly url: string;
    readonly username?: string | undefined;
    readonly password?: string | undefined;
  };
  readonly history: HistorySettings;
  readonly modelPath: string;
  readonly metricsTargets: readonly MetricsTarget[];
  readonly staleAfterMs: number;
  readonly offlineAfterMs: number;
  readonly scrape?: ScrapeSettings;
  /** the page's sources and bundle; default web/ and dist/web of this service */
  readonly web?: { readonly sourceDir: string; readonly outDir: string };
}

export interface Dashboard {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** the URL it serves, once started */
  readonly url: string | undefined;
}

export function createDashboard(settings: DashboardSettings, logger: Logger): Dashboard {
  const registry = new MetricsRegistry({ processMetrics: true });
  const dropped = registry.counter(
    'pdm_dashboard_sse_dropped_total',
    'event-stream clients dropped for not reading',
  );

  const fleet = new FleetState({
    staleAfterMs: settings.staleAfterMs,
    offlineAfterMs: settings.offlineAfterMs,
    maxPumps: MAX_PUMPS,
  });
  registry.gauge('pdm_dashboard_pumps', 'pumps on the fleet view', { collect: (g) => g.set(fleet.size) });
  const hub = new SseHub(
    { heartbeatMs: SSE_HEARTBEAT_MS, maxBufferedBytes: SSE_MAX_BUFFERED_BYTES },
    { onDrop: () => dropped.inc() },
  );
  registry.gauge('pdm_dashboard_sse_clients', 'open event streams', { collect: (g) => g.set(hub.size) });
  const scoring = new LiveScoring();
  const liveLog = new RateLimitedLog(logger.child({ component: 'live' }));
  const live = new LiveData({
    fleet,
    scoring,
    hub,
    metrics: liveMetrics(registry),
    log: liveLog,
  });
  const history = openHistory(settings.history, logger);
  const model = new ModelReport(settings.modelPath, logger.child({ component: 'model' }));
  const pipeline = new PipelineScraper(
    settings.metricsTargets,
    settings.scrape ?? DEFAULT_SCRAPE,
    logger.child({ component: 'pipeline' }),
  );

  const abort = new AbortController();
  let mqtt: MqttConnection | undefined;
  let server: DashboardServer | undefined;
  let url: string | undefined;
  let tick: NodeJS.Timeout | undefined;
  let fillRetry: NodeJS.Timeout | undefined;

  const mqttState = (): string =>
    mqtt === undefined
      ? 'connecting'
      : !mqtt.client.connected
        ? 'reconnecting'
        : (mqtt.subscriptionProblem ?? 'connected');

  /** The fleet view from the store's latest predictions, once the store can be read. */
  let fillFailed = false;
  const fillLater = (): void => {
    fillRetry = setTimeout(() => void fillFromHistory(), HISTORY_FILL_RETRY_MS);
    fillRetry.unref();
  };
  const fillFromHistory = async (): Promise<void> => {
    fillRetry = undefined;
    if (abort.signal.aborted) return;
    // An adapter that knows its store is not there yet (SQLite before acquisition) is not asked.
    if ((history.availability?.() ?? 'ok') !== 'ok') return fillLater();
    try {
      const now = Date.now();
      const latest = await history.latestPredictions();
      // Their receipt time is unknown: the device time stands in, so long-silent pumps start OFFLINE.
      for (const p of latest) fleet.apply(p, Math.min(p.ts, now));
      logger.info({ pumps: latest.length }, 'fleet view filled from the store');
    } catch (err) {
      if (!fillFailed) logger.warn({ err }, 'cannot read the latest predictions yet; retrying');
      fillFailed = true;
      fillLater();
    }
  };

  const connect = async (): Promise<void> => {
    try {
      mqtt = await connectMqtt({
        url: settings.mqtt.url,
        username: settings.mqtt.username,
        password: settings.mqtt.password,
        clientId: 'dashboard',
        service: 'dashboard',
        // A viewer: no session left behind, no status, no Last Will (the broker's viewer may not publish).
        session: 'ephemeral',
        logger,
        subscriptions: LIVE_FILTERS,
        onMessage: (topic, payload) => {
          // A viewer acknowledges everything: a message left unacknowledged by a bug would hold a slot
          // of the broker's in-flight window until the connection ends.
          try {
            live.handle(topic, payload);
          } catch (err) {
            liveLog.warn('handler_failed', { err, topic: clipTopic(topic) }, 'message handler failed');
          }
        },
        signal: abort.signal,
      });
    } catch (err) {
      if (!abort.signal.aborted) logger.error({ err }, 'cannot connect to the MQTT broker');
    }
  };

  return {
    get url() {
      return url;
    },
    async start() {
      const web = settings.web ?? { sourceDir: WEB_SOURCE_DIR, outDir: WEB_OUT_DIR };
      await ensureWebBuilt(web.sourceDir, web.outDir, logger.child({ component: 'web' }));
      const assets = loadWebAssets(web.outDir);
      if (!assets.has('/')) logger.error({ dir: web.outDir }, 'no page to serve: dist/web has no index.html');
      // Not awaited: a slow store must not keep the page from being served (SQLite's answer is at once).
      void fillFromHistory();
      server = await buildServer(
        { auth: settings.auth, logger: logger.child({ component: 'http' }) },
        {
          fleet,
          live,
          hub,
          scoring,
          history,
          model,
          pipeline,
          services: settings.metricsTargets.map((t) => t.name),
          assets,
          registry,
          health: () => ({
            mqtt: mqttState(),
            history: `${history.description}: ${history.availability?.() ?? 'not checked'}`,
            pumps: fleet.size,
            sseClients: hub.size,
          }),
        },
      );
      await server.listen({ host: settings.http.host, port: settings.http.port });
      const address = server.server.address();
      const port = typeof address === 'object' && address ? address.port : settings.http.port;
      url = `http://${urlHost(settings.http.host)}:${port}/`;
      logger.info(
        { url, history: history.description, auth: settings.auth !== undefined },
        'dashboard listening',
      );
      tick = setInterval(() => live.tick(), TICK_MS);
      pipeline.start();
      void connect();
    },
    async stop() {
      abort.abort();
      clearInterval(tick);
      clearTimeout(fillRetry);
      await shutdownInOrder(logger, [
        ['close the event streams', () => hub.close()],
        ['close the HTTP server', () => server?.close()],
        ['close the MQTT connection', () => mqtt?.close()],
        ['stop scraping', () => pipeline.stop()],
        ['stop watching the model report', () => model.close()],
        ['close the store', () => history.close()],
      ]);
    },
  };
}

/** The host to put in the printed URL: a wildcard address is reached at the loopback one. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
