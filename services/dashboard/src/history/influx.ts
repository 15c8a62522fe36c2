/**
 * The dashboard's history from InfluxDB 2.x: the History port over @pdm/influx's dashboard readers,
 * which hold the Flux (dashboard-queries.ts, shared with Grafana) and decode rows into the contract's
 * shapes. A stored row the contract does not allow is skipped and logged, once per query with the count;
 * a failing InfluxDB (down, 401, a refused query) rejects with @pdm/influx's InfluxError, whose code says
 * which. Lookbacks: @pdm/influx's DASHBOARD_LOOKBACK_MS (7 days) for the latest predictions and the
 * model history; none for open alarms and alerts.
 */
import {
  type DashboardReadOptions,
  type InfluxError,
  type InfluxReaderOptions,
  queryAlerts,
  queryLastPredictions,
  queryLatestPredictions,
  queryModelVersions,
  queryOpenAlarms,
  queryPredictions,
  querySamples,
} from '@pdm/influx';
import type { Logger } from '@pdm/service-kit';
import type { History } from './history.ts';

export interface InfluxHistoryOptions {
  readonly url: string;
  readonly token: string;
  readonly org: string;
  readonly bucket: string;
  /** longest silence on the socket during a query; @pdm/influx's default (60 s) when absent */
  readonly timeoutMs?: number | undefined;
}

export function createInfluxHistory(options: InfluxHistoryOptions, logger: Logger): History {
  const target: InfluxReaderOptions = {
    url: options.url,
    token: options.token,
    org: options.org,
    bucket: options.bucket,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  const log = logger.child({ component: 'influx-history' });

  /** Read options that count the rows a query skips, and a report to give once it is over. */
  const skipping = (query: string) => {
    let skipped = 0;
    let first: InfluxError | undefined;
    const read: DashboardReadOptions = {
      onBadRow(err) {
        skipped++;
        first ??= err;
      },
    };
    const report = () => {
      if (skipped > 0) {
        log.warn(
          { err: first, query, skipped },
          `skipped ${skipped} stored rows the contract does not allow`,
        );
      }
    };
    return { read, report };
  };

  /** A whole answer, its skipped rows reported. */
  const all = async <T>(query: string, rows: (read: DashboardReadOptions) => AsyncIterable<T>) => {
    const { read, report } = skipping(query);
    const out: T[] = [];
    try {
      for await (const row of rows(read)) out.push(row);
    } finally {
      report();
    }
    return out;
  };

  /** A streamed answer, its skipped rows reported when the consumer is done with it. */
  async function* stream<T>(query: string, rows: (read: DashboardReadOptions) => AsyncIterable<T>) {
    const { read, report } = skipping(query);
    try {
      yield* rows(read);
    } finally {
      report();
    }
  }

  return {
    description: `influxdb ${options.url} org ${options.org} bucket ${options.bucket}`,
    latestPredictions: () => all('latestPredictions', (read) => queryLatestPredictions(target, read)),
    samples: (pumpId, fromMs, toMs, channels) =>
      stream('samples', (read) => querySamples(target, { pumpId, fromMs, toMs, channels }, read)),
    predictions: (pumpId, fromMs, toMs) =>
      stream('predictions', (read) => queryPredictions(target, { pumpId, fromMs, toMs }, read)),
    lastPredictions: (pumpId, beforeMs, limit) =>
      all('lastPredictions', (read) => queryLastPredictions(target, { pumpId, beforeMs, limit }, read)),
    alerts: (filter) => all('alerts', (read) => queryAlerts(target, filter, read)),
    openAlarms: () => all('openAlarms', (read) => queryOpenAlarms(target, read)),
    async modelVersions() {
      const { read, report } = skipping('modelVersions');
      try {
        return await queryModelVersions(target, read);
      } finally {
        report();
      }
    },
    // InfluxDB keeps no dead letters: acquisition's stay in its SQLite file, and the dashboard falls
    // back to the services' metrics.
    deadLetters: async () => undefined,
    // The client holds no connection between queries, and a query in flight ends with its request.
    close: async () => {},
  };
}
