/**
 * Runs a Grafana panel's Flux as Grafana would: its variables substituted, then posted to InfluxDB, the
 * answer read back as data frames (one per table). No Grafana runs here, so the substitution is done
 * by this harness, after Grafana's own rules; the fake InfluxDB knows nothing of Grafana's variables,
 * as a real InfluxDB does not (they never reach it).
 */
import { InfluxDB } from '@influxdata/influxdb-client';
import { ID_PATTERN } from '@pdm/contract';
import type { InfluxTarget } from '../http.ts';

export interface GrafanaQueryContext {
  /** the time picker's range, epoch ms */
  readonly fromMs: number;
  readonly toMs: number;
  /** the panel's interval, ms: what v.windowPeriod becomes */
  readonly intervalMs: number;
  /** the dashboard's template variables, by name */
  readonly variables?: Readonly<Record<string, string>>;
  /** InfluxDB's now(), epoch ms: relative ranges (`-7d`) and now() in the query count from it */
  readonly nowMs: number;
}

/** A table of the answer, as Grafana makes a data frame of it. */
export interface GrafanaFrame {
  /** the group key's columns and values, but _start and _stop: the series' labels */
  readonly key: Readonly<Record<string, unknown>>;
  /** the other columns, `_time` (and any time column) as epoch ms */
  readonly rows: readonly Readonly<Record<string, unknown>>[];
}

/**
 * The Flux Grafana sends for a panel's query text:
 * - `${name}` and `$name`, the dashboard's variables, replaced in the browser by templateSrv with the
 *   variable's value as is (a Flux query is not escaped; a pump id needs no escaping);
 * - then, on Grafana's server (pkg/tsdb/influxdb/flux/macros.go), `v.timeRangeStart` and
 *   `v.timeRangeStop` by RFC 3339 times, `v.windowPeriod` by the interval as Go formats a duration
 *   (`10s`, `1m0s`), `v.bucket` and `v.defaultBucket` by the data source's bucket and `v.organization`
 *   by its organisation, as string literals.
 */
export function interpolateGrafanaFlux(
  flux: string,
  context: GrafanaQueryContext,
  dataSource: { readonly bucket: string; readonly org: string },
): string {
  let out = flux.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = (braced ?? bare) as string;
    const value = context.variables?.[name];
    if (value === undefined) throw new Error(`the query uses ${whole}, which the test did not set`);
    if (!ID_PATTERN.test(value)) throw new Error(`${JSON.stringify(value)} would need escaping in Flux`);
    return value;
  });
  const macros: Readonly<Record<string, string>> = {
    timeRangeStart: new Date(context.fromMs).toISOString(),
    timeRangeStop: new Date(context.toMs).toISOString(),
    windowPeriod: goDuration(context.intervalMs),
    bucket: `"${dataSource.bucket}"`,
    defaultBucket: `"${dataSource.bucket}"`,
    organization: `"${dataSource.org}"`,
  };
  for (const [name, value] of Object.entries(macros)) out = out.replaceAll(`v.${name}`, value);
  return out;
}

/** A duration as Go's time.Duration.String() prints it, for whole milliseconds: 500ms, 10s, 1m0s, 1h0m0s. */
export function goDuration(ms: number): string {
  if (!(Number.isSafeInteger(ms) && ms > 0)) throw new Error(`interval ${ms} ms is not a positive integer`);
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = String((ms % 60_000) / 1000);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** The frames of a panel's query, run as Grafana runs it against `target`. */
export async function runGrafanaQuery(
  target: InfluxTarget,
  flux: string,
  context: GrafanaQueryContext,
): Promise<GrafanaFrame[]> {
  const query = interpolateGrafanaFlux(flux, context, target);
  const api = new InfluxDB({ url: target.url, token: target.token, timeout: 30_000 }).getQueryApi({
    org: target.org,
    now: () => new Date(context.nowMs).toISOString(),
  });
  const frames: { key: Record<string, unknown>; rows: Record<string, unknown>[] }[] = [];
  let current: { meta: unknown; table: unknown } | undefined;
  for await (const { values, tableMeta } of api.iterateRows(query)) {
    const object = tableMeta.toObject(values);
    if (current?.meta !== tableMeta || current.table !== object.table) {
      current = { meta: tableMeta, table: object.table };
      frames.push({ key: {}, rows: [] });
    }
    const frame = frames.at(-1) as (typeof frames)[number];
    const row: Record<string, unknown> = {};
    for (const column of tableMeta.columns) {
      const { label } = column;
      if (label === 'result' || label === 'table' || label === '_start' || label === '_stop') continue;
      let value = object[label];
      if (column.dataType === 'dateTime:RFC3339' && typeof value === 'string') value = Date.parse(value);
      if (column.group) frame.key[label] = value;
      else row[label] = value;
    }
    frame.rows.push(row);
  }
  return frames;
}
