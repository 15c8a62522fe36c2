/**
 * The semantics of the fake's selectors and row functions, checked against InfluxDB's Flux documentation
 * (docs.influxdata.com/flux/v0/stdlib/universe/…) with its own sample data: sampledata.int(), two tables
 * t1 and t2 of six integers ten seconds apart from 2021-01-01T00:00:00Z.
 */
import { describe, expect, it } from 'vitest';
import { type Cell, FluxError, parseFlux, runFlux } from './flux.ts';
import { LineScanner } from './line-protocol.ts';
import { formatRfc3339Nano } from './rfc3339.ts';
import { emptyBucket } from './storage.ts';
import { writeBatch } from './write.ts';

const T0 = Date.UTC(2021, 0, 1);
const SAMPLE_INT = {
  t1: [-2, 10, 7, 17, 15, 4],
  t2: [19, 4, -3, 19, 13, 1],
} as const;

/** sampledata.int() as line protocol: measurement `sample`, tag `tag`, integer field `v`. */
function sampleLines(): string[] {
  return Object.entries(SAMPLE_INT).flatMap(([tag, values]) =>
    values.map((v, i) => `sample,tag=${tag} v=${v}i ${T0 + i * 10_000}`),
  );
}

/** Runs `from |> range |> filter(sample) |> <pipeline>` over `lines`; each table as [tag, time, value] rows. */
function run(
  pipeline: string,
  lines: readonly string[] = sampleLines(),
  columns = ['tag', '_time', '_value'],
) {
  const bucket = emptyBucket();
  const outcome = writeBatch(bucket, Buffer.from(lines.join('\n')), 'ms', new LineScanner(), true);
  expect(outcome.status).toBe(204);
  const flux = `from(bucket: "b")
    |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-02T00:00:00Z)
    |> filter(fn: (r) => r._measurement == "sample")
    ${pipeline}`;
  const { tables } = runFlux(parseFlux(flux), bucket.series);
  return tables.map((t) => t.rows.map((row) => columns.map((c) => show(row[c] ?? null, c))));
}

function show(cell: Cell, column: string): Cell {
  if (column.startsWith('_time') && typeof cell === 'bigint') return formatRfc3339Nano(cell).slice(11, 19);
  return typeof cell === 'bigint' ? Number(cell) : cell;
}

describe('the fake Flux selectors', () => {
  it('last() returns the last row of each table', () => {
    expect(run('|> last()')).toEqual([[['t1', '00:00:50', 4]], [['t2', '00:00:50', 1]]]);
  });

  it('last(column) returns the previous row with a value when that column is null in the last one', () => {
    // After a pivot, a field missing at a time is a null cell: b is absent from t1's last two points.
    const lines = [
      'sample,tag=t1 a=1i,b=10i 1609459200000',
      'sample,tag=t1 a=2i,b=20i 1609459210000',
      'sample,tag=t1 a=3i 1609459220000',
      'sample,tag=t1 a=4i 1609459230000',
    ];
    const pivoted = '|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")';
    expect(run(`${pivoted} |> last(column: "b")`, lines, ['_time', 'a', 'b'])).toEqual([
      [['00:00:10', 2, 20]],
    ]);
    expect(run(`${pivoted} |> last(column: "a")`, lines, ['_time', 'a', 'b'])).toEqual([
      [['00:00:30', 4, null]],
    ]);
  });

  it('last() drops a table with no value in the column', () => {
    // grouped into one table, t1's rows keep the column b, null in every row once t2's are filtered out
    const lines = ['sample,tag=t1 a=1i 1609459200000', 'sample,tag=t2 a=1i,b=2i 1609459200000'];
    const t1Only =
      '|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value") |> group() |> filter(fn: (r) => r.tag == "t1")';
    expect(run(`${t1Only} |> last(column: "b")`, lines, ['tag', 'b'])).toEqual([]);
    expect(run(`${t1Only} |> last(column: "a")`, lines, ['tag', 'b'])).toEqual([[['t1', null]]]);
  });

  it('min() and max() return the row with the smallest and largest value of each table', () => {
    expect(run('|> min()')).toEqual([[['t1', '00:00:00', -2]], [['t2', '00:00:20', -3]]]);
    // t2 holds 19 twice: the first row with the largest value is kept, as Flux's selector compares strictly
    expect(run('|> max()')).toEqual([[['t1', '00:00:30', 17]], [['t2', '00:00:00', 19]]]);
  });

  it('min() and max() select on a time column and keep the whole row', () => {
    expect(run('|> group() |> min(column: "_time")')).toEqual([[['t1', '00:00:00', -2]]]);
    expect(run('|> group() |> max(column: "_time")')).toEqual([[['t1', '00:00:50', 4]]]);
  });

  it('min() and max() refuse a string column, and every selector a column that does not exist', () => {
    const lines = ['sample,tag=t1 s="x" 1609459200000'];
    expect(() => run('|> max()', lines)).toThrow(FluxError);
    expect(() => run('|> min(column: "tag")')).toThrow(/unsupported column type string/);
    expect(() => run('|> last(column: "nope")')).toThrow(/no column "nope" exists/);
  });
});

describe('the fake Flux row functions', () => {
  it('tail(n) keeps the last n rows of each table', () => {
    expect(run('|> tail(n: 3)')).toEqual([
      [
        ['t1', '00:00:30', 17],
        ['t1', '00:00:40', 15],
        ['t1', '00:00:50', 4],
      ],
      [
        ['t2', '00:00:30', 19],
        ['t2', '00:00:40', 13],
        ['t2', '00:00:50', 1],
      ],
    ]);
  });

  it('tail(n, offset) skips offset rows at the end first, and keeps what there is of a short table', () => {
    expect(run('|> tail(n: 3, offset: 1)')[0]).toEqual([
      ['t1', '00:00:20', 7],
      ['t1', '00:00:30', 17],
      ['t1', '00:00:40', 15],
    ]);
    expect(run('|> tail(n: 4, offset: 4)')[1]).toEqual([
      ['t2', '00:00:00', 19],
      ['t2', '00:00:10', 4],
    ]);
  });

  it('sort(desc: true) orders each table descending and keeps ties in their order', () => {
    expect(run('|> sort(columns: ["_value"], desc: true)')[1]?.map((r) => [r[1], r[2]])).toEqual([
      ['00:00:00', 19],
      ['00:00:30', 19],
      ['00:00:40', 13],
      ['00:00:10', 4],
      ['00:00:50', 1],
      ['00:00:20', -3],
    ]);
  });

  it('sort() puts null values first whether ascending or descending', () => {
    const lines = [
      'sample,tag=t1 a=1i,b=5i 1609459200000',
      'sample,tag=t1 a=2i 1609459210000',
      'sample,tag=t1 a=3i,b=7i 1609459220000',
    ];
    const pivoted = '|> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")';
    expect(run(`${pivoted} |> sort(columns: ["b"], desc: true)`, lines, ['a', 'b'])).toEqual([
      [
        [2, null],
        [3, 7],
        [1, 5],
      ],
    ]);
    expect(run(`${pivoted} |> sort(columns: ["b"])`, lines, ['a', 'b'])).toEqual([
      [
        [2, null],
        [1, 5],
        [3, 7],
      ],
    ]);
  });

  it('group(columns) by a value column makes one table per distinct value', () => {
    const grouped = run('|> group(columns: ["_value"]) |> min(column: "_time")');
    // 19 and 4 occur in both tables; their table starts at the earliest row holding them
    expect(grouped.filter((t) => t.length > 0).map((t) => t[0])).toContainEqual(['t2', '00:00:00', 19]);
    expect(grouped.flat()).toContainEqual(['t2', '00:00:10', 4]);
    expect(grouped).toHaveLength(new Set([...SAMPLE_INT.t1, ...SAMPLE_INT.t2]).size);
  });
});
