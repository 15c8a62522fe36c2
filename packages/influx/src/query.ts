/**
 * Runs a Flux query and decodes its rows one at a time: what every reader of this package shares (the
 * export's telemetry reader, the dashboard's history), with the Flux literals they build queries from.
 *
 * Queries go through @influxdata/influxdb-client's QueryApi.iterateRows: it parses InfluxDB's annotated
 * CSV incrementally and applies backpressure, which is the part worth not rewriting. Memory stays
 * constant however long the answer, and a slow consumer slows the socket down.
 */
import { HttpError, InfluxDB, RequestTimedOutError, type Row } from '@influxdata/influxdb-client';
import { codeForStatus, InfluxError } from './errors.ts';
import type { InfluxTarget } from './http.ts';

export interface InfluxReaderOptions extends InfluxTarget {
  /** longest silence on the socket, also while InfluxDB sorts before its first byte; 60 s by default */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Turns one row's cells (as annotated CSV text, '' for null) into a value. */
export type RowDecoder<T> = (values: readonly string[]) => T;

export interface StreamFluxOptions {
  /**
   * Called with the InfluxError `bad_response` a decoder threw for one row, which is then skipped. Without
   * it that error ends the stream, as for the export, where a training set must not silently lose rows.
   */
  readonly onBadRow?: (err: InfluxError) => void;
}

/**
 * Yields one decoded value per row of `flux`'s answer. `decoderFor` gets each table's column labels; it
 * runs once per annotated header, as the parser makes one metadata object per header.
 */
export async function* streamFlux<T>(
  options: InfluxReaderOptions,
  flux: string,
  decoderFor: (labels: readonly string[]) => RowDecoder<T>,
  { onBadRow }: StreamFluxOptions = {},
): AsyncIterable<T> {
  const client = new InfluxDB({
    url: options.url,
    token: options.token,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const rows = client.getQueryApi(options.org).iterateRows(flux)[Symbol.asyncIterator]();
  let decode: RowDecoder<T> | undefined;
  let decoderOf: unknown;
  let done = false;
  try {
    for (;;) {
      let next: IteratorResult<Row>;
      try {
        next = await rows.next();
      } catch (err) {
        // only what the transport and the parser throw: a decoder's own errors pass unchanged
        throw toInfluxError(err, options.url);
      }
      if (next.done) {
        done = true;
        return;
      }
      const { values, tableMeta } = next.value;
      if (tableMeta !== decoderOf) {
        const labels = tableMeta.columns.map((c) => c.label);
        // A query that fails after the 200 was sent ends with a table of its own: error, reference.
        if (labels.includes('error') && labels.includes('reference')) {
          const message = values[labels.indexOf('error')];
          throw new InfluxError('query_failed', `query failed on the server: ${message}`);
        }
        decode = decoderFor(labels);
        decoderOf = tableMeta;
      }
      let value: T;
      try {
        value = (decode as RowDecoder<T>)(values);
      } catch (err) {
        if (onBadRow && err instanceof InfluxError && err.code === 'bad_response') {
          onBadRow(err);
          continue;
        }
        throw err;
      }
      yield value;
    }
  } finally {
    // the consumer stopped early, or a row was refused: end the request rather than read it to the end
    if (!done) {
      try {
        await rows.return?.();
      } catch {
        // the request failed already; the error on its way out is the one to report
      }
    }
  }
}

/** A Flux string literal: backslash, double quote and the interpolation opener `${` are escaped. */
export function fluxString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/\$\{/g, '\\${')}"`;
}

/** A Flux array of string literals, e.g. for keep(columns: …). */
export function fluxStrings(values: readonly string[]): string {
  return `[${values.map(fluxString).join(', ')}]`;
}

/** A Flux time literal (RFC 3339, millisecond precision) for epoch milliseconds. */
export function fluxTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
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
