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

describe('the fake Flux aggregates and row functions that the Grafana dashboards use', () => {
  it('aggregateWindow(fn: mean) averages epoch-aligned windows and stamps each with its stop', () => {
    // the documentation's example: sampledata.int() |> aggregateWindow(every: 20s, fn: mean)
    expect(run('|> aggregateWindow(every: 20s, fn: mean, createEmpty: false)')).toEqual([
      [
        ['t1', '00:00:20', 4],
        ['t1', '00:00:40', 12],
        ['t1', '00:01:00', 9.5],
      ],
      [
        ['t2', '00:00:20', 11.5],
        ['t2', '00:00:40', 8],
        ['t2', '00:01:00', 7],
      ],
    ]);
  });

  it('aggregateWindow(fn: last, count, sum) selects, counts and sums per window; a Go duration like 0m30s is understood', () => {
    expect(run('|> aggregateWindow(every: 0m30s, fn: last, createEmpty: false)')[0]).toEqual([
      ['t1', '00:00:30', 7],
      ['t1', '00:01:00', 4],
    ]);
    expect(run('|> aggregateWindow(every: 30s, fn: count, createEmpty: false)')[1]).toEqual([
      ['t2', '00:00:30', 3],
      ['t2', '00:01:00', 3],
    ]);
    expect(run('|> aggregateWindow(every: 30s, fn: sum, createEmpty: false)')[1]).toEqual([
      ['t2', '00:00:30', 20],
      ['t2', '00:01:00', 33],
    ]);
  });

  it('aggregateWindow clips the last window at the range stop, and refuses createEmpty: true', () => {
    const bucket = emptyBucket();
    writeBatch(bucket, Buffer.from(sampleLines().join('\n')), 'ms', new LineScanner(), true);
    const flux = `from(bucket: "b") |> range(start: 2021-01-01T00:00:00Z, stop: 2021-01-01T00:00:45Z)
      |> filter(fn: (r) => r.tag == "t1") |> aggregateWindow(every: 30s, fn: count, createEmpty: false)`;
    const [table] = runFlux(parseFlux(flux), bucket.series).tables;
    expect(table?.rows.map((r) => [formatRfc3339Nano(r._time as bigint).slice(11, 19), r._value])).toEqual([
      ['00:00:30', 3n],
      ['00:00:45', 2n],
    ]);
    expect(() => run('|> aggregateWindow(every: 30s, fn: mean, createEmpty: true)')).toThrow(FluxError);
  });

  it('count() and sum() reduce each table to one row of its group key and the column', () => {
    expect(run('|> count()')).toEqual([[['t1', null, 6]], [['t2', null, 6]]]);
    expect(run('|> sum()')).toEqual([[['t1', null, 51]], [['t2', null, 53]]]);
    expect(run('|> group() |> count(column: "tag")', undefined, ['tag'])).toEqual([[[12]]]);
  });

  it('duplicate() copies a column and distinct() lists its values once each, in order of appearance', () => {
    const lines = ['sample,tag=t1 s="a" 1609459200000', 'sample,tag=t2 s="b" 1609459210000'];
    lines.push('sample,tag=t1 s="a" 1609459220000');
    expect(run('|> duplicate(column: "_value", as: "copy")', lines, ['copy'])).toEqual([
      [['a'], ['a']],
      [['b']],
    ]);
    expect(run('|> group() |> distinct(column: "tag")', lines, ['_value'])).toEqual([[['t1'], ['t2']]]);
  });

  it('map() extends rows with arithmetic, conversions, now() and if/then/else, and filter() knows exists', () => {
    const mapped = run(
      `|> map(fn: (r) => ({ r with half: float(v: r._value) / 2.0, age: (int(v: 2021-01-01T00:01:00Z) - int(v: r._time)) / 1000000000,
          big: if r._value > 10 then "yes" else "no" }))
       |> filter(fn: (r) => exists r.half and r.tag == "t1")`,
      undefined,
      ['half', 'age', 'big'],
    );
    expect(mapped).toEqual([
      [
        [-1, 60, 'no'],
        [5, 50, 'no'],
        [3.5, 40, 'no'],
        [8.5, 30, 'yes'],
        [7.5, 20, 'yes'],
        [2, 10, 'no'],
      ],
    ]);
    expect(() => run('|> map(fn: (r) => ({ r with x: r._value + 1.5 }))')).toThrow(/type error/);
    expect(run('|> map(fn: (r) => ({ v: r._value * 2 })) |> last(column: "v")', undefined, ['v'])).toEqual([
      [[8], [2]]
        .flat()
        .map((v) => [v])
        .slice(0, 1),
      [[2]],
    ]);
  });
});
