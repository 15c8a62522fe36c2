/**
 * The stores as row sources: the SQLite file (read on a second thread by the CLI) and InfluxDB. Both
 * give rows per pump in time order, and both stream.
 */

import type { LabelledSample } from '@pdm/contract';
import { InfluxError, type InfluxTarget, queryTelemetry } from '@pdm/influx';
import { SampleStore, StoreError } from '@pdm/store';
import { zeroCounts } from './balance.ts';
import { ExportError } from './errors.ts';
import type { RowBatches, RowFilter, RowSource } from './row-source.ts';
import { readInThread } from './sqlite-reader.ts';
import { valuesAsRows } from './value-batches.ts';

export interface SqliteSourceOptions {
  /** read on a second thread (the CLI does); in this one otherwise, e.g. in unit tests */
  readonly readerThread?: boolean;
}

export function openSqliteSource(
  path: string,
  { readerThread = false }: SqliteSourceOptions = {},
): RowSource {
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

export function influxSource(target: InfluxTarget): RowSource {
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
          if (row.state != null) labelled[row.state]++;
          if (onRows && (rows & 0x3fff) === 0) onRows(rows);
        }
      } catch (err) {
        throw influxFailure(err, description, rows === 0 ? 'source_unavailable' : 'source_failed');
      }
      return { rows, labelled };
    },
    async *rows(filter) {
      let rows = 0;
      let batch: LabelledSample[] = [];
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

async function* oneBatch(rows: Iterable<LabelledSample>): RowBatches {
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
