/**
 * Reads samples back out of InfluxDB, one object per sample, for the export CLI. Rows are streamed:
 * memory stays constant however long the range, and a slow consumer slows the socket down.
 *
 * Queries go through @influxdata/influxdb-client's QueryApi.iterateRows: it parses InfluxDB's
 * annotated CSV incrementally and applies backpressure, which is the part worth not rewriting.
 */
import {
  type FluxTableMetaData,
  HttpError,
  InfluxDB,
  RequestTimedOutError,
} from '@influxdata/influxdb-client';
import {
  CHANNELS,
  type Channel,
  FAILURE_MODES,
  GROUND_TRUTH_FIELDS,
  type LabelledSample,
  PUMP_STATES,
} from '@pdm/contract';
import { codeForStatus, InfluxError } from './errors.ts';
import type { InfluxTarget } from './http.ts';
import { MEASUREMENT, REQUIRED_FIELDS, TAG } from './line-protocol.ts';

export interface TelemetryQuery {
  /** inclusive; from the epoch when absent */
  readonly since?: Date;
  /** exclusive; up to the server's now() when absent */
  readonly until?: Date;
  /** only these pumps; all when absent */
  readonly pumps?: readonly string[];
}

export interface InfluxReaderOptions extends InfluxTarget {
  /** longest silence on the socket, also while InfluxDB sorts before its first byte; 60 s by default */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Rows sorted by pump_id, then time. */
export async function* queryTelemetry(
  options: InfluxReaderOptions,
  query: TelemetryQuery = {},
): AsyncIterable<LabelledSample> {
  if (query.pumps?.length === 0) return;
  const flux = buildTelemetryFlux(options.bucket, query);
  const client = new InfluxDB({
    url: options.url,
    token: options.token,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const rows = client.getQueryApi(options.org).iterateRows(flux);
  let columns: RowColumns | undefined;
  let columnsOf: FluxTableMetaData | undefined;
  try {
    for await (const { values, tableMeta } of rows) {
      // The parser makes one metadata object per annotated table header, so this runs once per table.
      if (tableMeta !== columnsOf) {
        columns = locateColumns(tableMeta);
        columnsOf = tableMeta;
      }
      yield toRow(values, columns as RowColumns);
    }
  } catch (err) {
    throw toInfluxError(err, options.url);
  }
}

/**
 * The Flux the reader sends. Flux orders rows only within a table, so everything is grouped into one
 * table and sorted there; InfluxDB holds that table in memory for the sort, so export long histories
 * in windows of since/until rather than in one query.
 */
export function buildTelemetryFlux(bucket: string, query: TelemetryQuery): string {
  const since = query.since ?? new Date(0);
  if (query.until !== undefined && query.until.getTime() <= since.getTime()) {
    throw new InfluxError(
      'invalid_argument',
      `until (${query.until.toISOString()}) must be later than since (${since.toISOString()})`,
    );
  }
  const stop = query.until === undefined ? '' : `, stop: ${query.until.toISOString()}`;
  const lines = [
    `from(bucket: ${fluxString(bucket)})`,
    `  |> range(start: ${since.toISOString()}${stop})`,
    `  |> filter(fn: (r) => r._measurement == ${fluxString(MEASUREMENT)})`,
  ];
  if (query.pumps !== undefined) {
    const anyOf = query.pumps.map((id) => `r.${TAG} == ${fluxString(id)}`).join(' or ');
    lines.push(`  |> filter(fn: (r) => ${anyOf})`);
  }
  lines.push(
    '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
    `  |> keep(columns: ${JSON.stringify(['_time', TAG, ...REQUIRED_FIELDS, ...GROUND_TRUTH_FIELDS])})`,
    '  |> group()',
    `  |> sort(columns: ["${TAG}", "_time"])`,
  );
  return lines.join('\n');
}

/** A Flux string literal: backslash, double quote and the interpolation opener `${` are escaped. */
export function fluxString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/\$\{/g, '\\${')}"`;
}

interface RowColumns {
  readonly time: number;
  readonly pump: number;
  readonly seq: number;
  readonly channels: readonly (readonly [Channel, number])[];
  readonly state: number;
  readonly healthPct: number;
  readonly rulH: number;
  readonly failureMode: number;
  /** a table InfluxDB writes when the query fails after the 200 was sent */
  readonly error: number;
}

function locateColumns(meta: FluxTableMetaData): RowColumns {
  const labels = meta.columns.map((c) => c.label);
  const at = (label: string) => labels.indexOf(label);
  return {
    time: at('_time'),
    pump: at(TAG),
    seq: at('seq'),
    channels: CHANNELS.map((c) => [c, at(c)] as const),
    state: at('state'),
    healthPct: at('health_pct'),
    rulH: at('rul_h'),
    failureMode: at('failure_mode'),
    error: at('error'),
  };
}

function toRow(values: readonly string[], c: RowColumns): LabelledSample {
  if (c.error >= 0) throw new InfluxError('query_failed', `query failed on the server: ${values[c.error]}`);
  const pumpId = values[c.pump] ?? '';
  const time = values[c.time] ?? '';
  const ts = Date.parse(time);
  if (pumpId === '' || Number.isNaN(ts)) {
    throw new InfluxError('bad_response', `row without ${TAG} or _time: ${JSON.stringify(values)}`);
  }
  const required = (column: number, name: string): number => {
    const text = values[column] ?? '';
    const value = Number(text);
    if (text === '' || Number.isNaN(value)) {
      throw new InfluxError('bad_response', `${pumpId} at ${time} has no number in field "${name}"`);
    }
    return value;
  };
  const row = { pump_id: pumpId, ts, seq: required(c.seq, 'seq') } as LabelledSample;
  for (const [channel, column] of c.channels) row[channel] = required(column, channel);
  const state = values[c.state];
  if (state) row.state = member(PUMP_STATES, state, 'state', pumpId, time);
  const healthPct = values[c.healthPct];
  if (healthPct) row.health_pct = Number(healthPct);
  const rulH = values[c.rulH];
  if (rulH) row.rul_h = Number(rulH);
  const failureMode = values[c.failureMode];
  if (failureMode) row.failure_mode = member(FAILURE_MODES, failureMode, 'failure_mode', pumpId, time);
  return row;
}

function member<T extends string>(
  allowed: readonly T[],
  value: string,
  field: string,
  pumpId: string,
  time: string,
): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InfluxError('bad_response', `${pumpId} at ${time} has unknown ${field} ${JSON.stringify(value)}`);
}

function toInfluxError(err: unknown, url: string): InfluxError {
  if (err instanceof InfluxError) return err;
  if (err instanceof HttpError) {
    return new InfluxError(codeForStatus(err.statusCode), `InfluxDB at ${url}: ${err.message}`, {
      cause: err,
      status: err.statusCode,
    });
  }
  if (err instanceof RequestTimedOutError) {
    return new InfluxError('timeout', `InfluxDB at ${url} went silent mid-query`, { cause: err });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new InfluxError('unreachable', `cannot reach InfluxDB at ${url}: ${detail}`, { cause: err });
}
