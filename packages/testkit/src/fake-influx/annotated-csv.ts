/**
 * Query answers in annotated CSV, byte for byte as flux/csv encodes them, and the request's `dialect`
 * that shapes them.
 */
import type { ServerResponse } from 'node:http';
import type { Cell, ColumnType, FluxResult } from './flux.ts';
import { formatRfc3339Nano } from './rfc3339.ts';

export interface Dialect {
  readonly header: boolean;
  readonly annotations: readonly string[];
}

/** What InfluxDB assumes without a dialect: a header row and no annotations. */
export const DEFAULT_DIALECT: Dialect = { header: true, annotations: [] };

export function readDialect(value: unknown): Dialect | string {
  if (value === undefined || value === null) return DEFAULT_DIALECT;
  if (typeof value !== 'object') return 'dialect must be an object';
  const d = value as Record<string, unknown>;
  if (d.delimiter !== undefined && d.delimiter !== ',')
    return 'the fake InfluxDB supports only "," as delimiter';
  if (
    d.dateTimeFormat !== undefined &&
    d.dateTimeFormat !== 'RFC3339' &&
    d.dateTimeFormat !== 'RFC3339Nano'
  ) {
    return `unsupported dateTimeFormat ${String(d.dateTimeFormat)}`;
  }
  const annotations = d.annotations ?? [];
  if (
    !Array.isArray(annotations) ||
    !annotations.every((a) => ['datatype', 'group', 'default'].includes(a))
  ) {
    return `unsupported annotations ${JSON.stringify(annotations)}: use datatype, group, default`;
  }
  return { header: d.header !== false, annotations };
}

/** A pause in the answer after `rows` data rows, until `released` (see FakeInflux.holdQueryAfter). */
export interface RowHold {
  readonly rows: number;
  readonly reached: () => void;
  readonly released: Promise<void>;
}

const CRLF = '\r\n';
const FLUSH_CHARS = 64 * 1024;

/**
 * Writes a result as flux/csv's ResultEncoder does: annotations and header only when the column list
 * changes (a blank line before every block but the first), `,result,table,…` columns, CRLF line ends,
 * and the delimiter CRLF after the result. Respects backpressure.
 */
export async function writeAnnotatedCsv(
  res: ServerResponse,
  result: FluxResult,
  dialect: Dialect,
  hold: RowHold | undefined,
): Promise<void> {
  let buffer = '';
  let rowsSent = 0;
  const flush = async () => {
    if (buffer === '' || res.destroyed) return;
    const ok = res.write(buffer);
    buffer = '';
    // a client that goes away never drains; each wait removes both of its listeners, as a long answer
    // waits thousands of times (events.once would leave the loser's behind every time)
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  };
  const withDefault = dialect.annotations.includes('default');
  let lastSchema: string | undefined;
  for (const [index, table] of result.tables.entries()) {
    const schema = table.columns.map((c) => `${c.label}:${c.type}`).join(',');
    if (schema !== lastSchema) {
      if (lastSchema !== undefined) buffer += CRLF;
      for (const annotation of dialect.annotations) {
        const cells =
          annotation === 'datatype'
            ? ['string', 'long', ...table.columns.map((c) => c.type)]
            : annotation === 'group'
              ? ['false', 'false', ...table.columns.map((c) => String(table.key.has(c.label)))]
              : [result.name, '', ...table.columns.map(() => '')];
        buffer += csvRow([`#${annotation}`, ...cells]);
      }
      if (dialect.header) buffer += csvRow(['', 'result', 'table', ...table.columns.map((c) => c.label)]);
      lastSchema = schema;
    }
    const prefix = `,${withDefault ? '' : csvField(result.name)},${index}`;
    for (const row of table.rows) {
      let line = prefix;
      for (const column of table.columns)
        line += `,${csvField(formatCell(row[column.label] ?? null, column.type))}`;
      buffer += line + CRLF;
      rowsSent++;
      if (hold && rowsSent === hold.rows) {
        await flush();
        hold.reached();
        await hold.released;
      }
      if (buffer.length >= FLUSH_CHARS) await flush();
      if (res.destroyed) return;
    }
  }
  buffer += CRLF;
  await flush();
  res.end();
}

function csvRow(cells: readonly string[]): string {
  return cells.map(csvField).join(',') + CRLF;
}

const CSV_SPECIALS = /[",\r\n]/;
const LEADING_SPACE = /^\s/u;
const QUOTES = /"/g;
const CARRIAGE_RETURNS = /\r/g;
const NEWLINES = /\n/g;

/** Go encoding/csv with UseCRLF: quotes when needed, doubles quotes, writes a newline as CRLF. */
function csvField(value: string): string {
  if (value === '') return value;
  const needsQuotes = CSV_SPECIALS.test(value) || value === '\\.' || LEADING_SPACE.test(value);
  if (!needsQuotes) return value;
  return `"${value.replace(QUOTES, '""').replace(CARRIAGE_RETURNS, '').replace(NEWLINES, CRLF)}"`;
}

function formatCell(value: Cell, type: ColumnType): string {
  if (value === null) return '';
  switch (type) {
    case 'dateTime:RFC3339':
      return formatRfc3339Nano(value as bigint);
    case 'double':
      return formatFloat(value as number);
    default:
      return String(value);
  }
}

/** Go's strconv.FormatFloat(x, 'f', -1, 64): the shortest digits that round-trip, never an exponent. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Object.is(x, -0)) return '-0';
  const text = String(x);
  const e = text.indexOf('e');
  if (e === -1) return text;
  const sign = text.startsWith('-') ? '-' : '';
  const mantissa = text.slice(sign.length, e);
  const exponent = Number(text.slice(e + 1));
  const point = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const pointAt = (point === -1 ? mantissa.length : point) + exponent;
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return sign + digits + '0'.repeat(pointAt - digits.length);
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}
