/**
 * Where the samples come from: the SQLite store or InfluxDB, behind one interface. Both give rows per
 * pump in time order, which is what the feature windows need, and both stream.
 */

import type { FailureMode, PumpState, Telemetry } from '@pdm/contract';
import { InfluxError, type InfluxTarget, queryTelemetry } from '@pdm/influx';
import { SampleStore, StoreError } from '@pdm/store';
import { type StateCounts, zeroCounts } from './balance.ts';
import { ExportError } from './errors.ts';
import { readInThread } from './sqlite-reader.ts';
import type { TimeRange } from './time-range.ts';
import { valuesAsRows } from './value-batches.ts';

/** A stored sample; the ground truth is null (SQLite) or absent (InfluxDB) for raw telemetry. */
export interface ExportRow extends Telemetry {
  readonly state?: PumpState | null | undefined;
  readonly health_pct?: number | null | undefined;
  readonly rul_h?: number | null | undefined;
  readonly failure_mode?: FailureMode | null | undefined;
}

export interface RowFilter extends TimeRange {
  readonly pumps?: readonly string[] | undefined;
}

export type RowBatches = AsyncIterable<Iterable<ExportRow>>;

export interface RowCounts {
  /** every sample in the filter, labelled or not: all of them feed the feature windows */
  readonly rows: number;
  readonly labelled: StateCounts;
}

export interface SampleSource {
  /** names the store in messages: the SQLite file or the InfluxDB URL and bucket */
  readonly description: string;
  /** samples in the filter when the store can tell without reading them (progress); else undefined */
  countRows(filter: RowFilter): Promise<number | undefined>;
  /** samples and labelled samples per state; `onRows` reports progress when counting means reading */
  countStates(filter: RowFilter, onRows?: (rows: number) => void): Promise<RowCounts>;
  /**
   * By pump_id, then ts, in batches: a batch is walked to its end before the next is asked for. A row
   * object may be refilled for the next sample: copy what must outlive the step.
   */
  rows(filter: RowFilter): RowBatches;
  close(): void;
}

export interface SqliteSourceOptions {
  /** read on a second thread (the CLI does); in this one otherwise, e.g. in unit tests */
  readonly readerThread?: boolean;
}

export function openSqliteSource(
  path: string,
  { readerThread = false }: SqliteSourceOptions = {},
): SampleSource {
  let store: SampleStore;
  try {
    store = SampleStore.open(path, { readonly: true });
  } catch (err) {
    if (err instanceof StoreError) {
      throw new ExportError('source_unavailable', `cannot read the SQLite store: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  const storeFilter = (f: RowFilter) => ({ sinceMs: f.sinceMs, untilMs: f.untilMs, pumps: f.pumps });
  return {
    description: `SQLite store ${path}`,
    countRows: async (filter) => store.count(storeFilter(filter)),
    async countStates(filter) {
      const rows = store.count(storeFilter(filter));
      const labelled = zeroCounts();
      for (const [state, n] of store.countByState(storeFilter(filter))) labelled[state] = n;
      return { rows, labelled };
    },
    rows: (filter) =>
      readerThread
        ? readInThread(path, storeFilter(filter))
        : oneBatch(valuesAsRows(store.iterateValues(storeFilter(filter)))),
    close: () => store.close(),
  };
}

export function influxSource(target: InfluxTarget): SampleSource {
  const description = `InfluxDB ${target.url} (org ${target.org}, bucket ${target.bucket})`;
  const query = (f: RowFilter) => ({
    since: f.sinceMs === undefined ? undefined : new Date(f.sinceMs),
    until: f.untilMs === undefined ? undefined : new Date(f.untilMs),
    pumps: f.pumps,
  });
  return {
    description,
    countRows: async () => undefined,
    // InfluxDB has no cheap count grouped by a field: a first pass reads the rows and counts them.
    async countStates(filter, onRows) {
      const labelled = zeroCounts();
      let rows = 0;
      try {
        for await (const row of queryTelemetry(target, query(filter))) {
          rows++;
          if (row.state !== undefined) labelled[row.state]++;
          if (onRows && (rows & 0x3fff) === 0) onRows(rows);
        }
      } catch (err) {
        throw influxFailure(err, description, rows === 0 ? 'source_unavailable' : 'source_failed');
      }
      return { rows, labelled };
    },
    async *rows(filter) {
      let rows = 0;
      let batch: ExportRow[] = [];
      try {
        for await (const row of queryTelemetry(target, query(filter))) {
          rows++;
          batch.push(row);
          if (batch.length === INFLUX_BATCH) {
            yield batch;
            batch = [];
          }
        }
      } catch (err) {
        throw influxFailure(err, description, rows === 0 ? 'source_unavailable' : 'source_failed');
      }
      if (batch.length > 0) yield batch;
    },
    close: () => {},
  };
}

/** rows of InfluxDB are objects already: batching them only spares the pass a promise per row */
const INFLUX_BATCH = 1024;

async function* oneBatch(rows: Iterable<ExportRow>): RowBatches {
  yield rows;
}

function influxFailure(
  err: unknown,
  description: string,
  code: 'source_unavailable' | 'source_failed',
): unknown {
  if (!(err instanceof InfluxError)) return err;
  return new ExportError(code, `cannot read ${description}: ${err.message} (${err.code})`, { cause: err });
}
