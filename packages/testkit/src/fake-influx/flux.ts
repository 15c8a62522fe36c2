/**
 * The Flux subset the fake answers: `from() |> range() |> …` with the calls listed at `runFlux`, run over
 * a bucket's series. A query outside it is a FluxError, which the server answers 400.
 */
import { type FieldType, type FieldValue, fieldType } from './fields.ts';
import { parseRfc3339 } from './rfc3339.ts';
import { compareBigint, type Series } from './storage.ts';

/** A query the fake does not understand or that Flux would refuse: answered 400. */
export class FluxError extends Error {}

type Literal =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'time'; readonly ns: bigint }
  | { readonly kind: 'duration'; readonly ns: bigint }
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'now' };

/**
 * An expression inside a function body: filter's predicate, map's record. Columns are read from the
 * function's one parameter (`r.x` or `r["x"]`).
 */
type Expr =
  | Literal
  | { readonly kind: 'column'; readonly name: string }
  | { readonly kind: 'and' | 'or'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'exists'; readonly operand: Expr }
  | { readonly kind: 'compare'; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'arithmetic'; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'convert'; readonly to: 'int' | 'float'; readonly operand: Expr }
  | { readonly kind: 'if'; readonly test: Expr; readonly then: Expr; readonly otherwise: Expr }
  | {
      readonly kind: 'record';
      /** `{ r with … }`: the row's columns, then these */
      readonly extendsRow: boolean;
      readonly properties: readonly (readonly [string, Expr])[];
    };

type Argument =
  | Literal
  | { readonly kind: 'array'; readonly items: readonly Literal[] }
  | { readonly kind: 'function'; readonly body: Expr }
  /** a function passed by name, as aggregateWindow's fn: last */
  | { readonly kind: 'identifier'; readonly name: string };

interface Call {
  readonly name: string;
  readonly args: ReadonlyMap<string, Argument>;
}

interface Pipeline {
  readonly bucket: string;
  readonly calls: readonly Call[];
}

interface Token {
  readonly type: 'ident' | 'string' | 'time' | 'duration' | 'int' | 'float' | 'punct' | 'eof';
  readonly text: string;
  readonly pos: number;
}

const SKIP = /(?:\s+|\/\/[^\n]*)+/y;
const PUNCT = /\|>|=>|==|!=|<=|>=|=~|!~|[()[\]{},:.<>+\-*/=]/y;
const TIME = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))?/y;
const DURATION = /(?:\d+(?:mo|ms|us|µs|ns|y|w|d|h|m|s))+(?![A-Za-z0-9_])/y;
const FLOAT = /\d+\.\d+/y;
const INT = /\d+/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const DURATION_PART = /(\d+)(mo|ms|us|µs|ns|y|w|d|h|m|s)/g;
const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  const sticky = (re: RegExp): string | undefined => {
    re.lastIndex = pos;
    const m = re.exec(source);
    return m ? m[0] : undefined;
  };
  while (pos < source.length) {
    const skipped = sticky(SKIP);
    if (skipped) {
      pos += skipped.length;
      continue;
    }
    const start = pos;
    if (source[pos] === '"') {
      let value = '';
      pos++;
      for (;;) {
        const ch = source[pos];
        if (ch === undefined) throw new FluxError(`unterminated string at ${start}`);
        if (ch === '"') break;
        if (ch === '$' && source[pos + 1] === '{')
          throw new FluxError('string interpolation is not supported');
        if (ch === '\\') {
          const next = source[pos + 1];
          const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$' };
          const mapped = next === undefined ? undefined : escapes[next];
          if (mapped === undefined) throw new FluxError(`invalid escape sequence \\${next ?? ''}`);
          value += mapped;
          pos += 2;
          continue;
        }
        value += ch;
        pos++;
      }
      pos++;
      tokens.push({ type: 'string', text: value, pos: start });
      continue;
    }
    const matched: [Token['type'], string | undefined][] = [
      ['time', sticky(TIME)],
      ['duration', sticky(DURATION)],
      ['float', sticky(FLOAT)],
      ['int', sticky(INT)],
      ['ident', sticky(IDENT)],
      ['punct', sticky(PUNCT)],
    ];
    const hit = matched.find(([, text]) => text !== undefined);
    if (!hit) throw new FluxError(`unexpected character ${JSON.stringify(source[pos])} at ${pos}`);
    const [type, text] = hit as [Token['type'], string];
    tokens.push({ type, text, pos: start });
    pos += text.length;
  }
  tokens.push({ type: 'eof', text: '', pos });
  return tokens;
}

/** Parses `from(bucket: "…") |> call(arg: …) |> …`; the first call must be from(). */
export function parseFlux(source: string): Pipeline {
  const tokens = tokenize(source);
  let at = 0;
  const peek = (offset = 0) => tokens[Math.min(at + offset, tokens.length - 1)] as Token;
  const next = () => {
    const token = peek();
    at++;
    return token;
  };
  const expect = (text: string): Token => {
    const token = next();
    if (token.text !== text || token.type === 'string') {
      throw new FluxError(
        `expected ${JSON.stringify(text)} at ${token.pos}, found ${JSON.stringify(token.text)}`,
      );
    }
    return token;
  };
  const isPunct = (text: string, offset = 0) => peek(offset).type === 'punct' && peek(offset).text === text;

  const literal = (): Literal => {
    const token = next();
    switch (token.type) {
      case 'string':
        return { kind: 'string', value: token.text };
      case 'time': {
        const ns = parseRfc3339(token.text);
        if (ns === undefined) throw new FluxError(`invalid time ${token.text}`);
        return { kind: 'time', ns };
      }
      case 'duration':
        return { kind: 'duration', ns: parseDuration(token.text) };
      case 'int':
        return { kind: 'int', value: BigInt(token.text) };
      case 'float':
        return { kind: 'float', value: Number(token.text) };
      case 'punct':
        if (
          token.text === '-' &&
          (peek().type === 'duration' || peek().type === 'int' || peek().type === 'float')
        ) {
          const inner = literal();
          if (inner.kind === 'duration') return { kind: 'duration', ns: -inner.ns };
          if (inner.kind === 'int') return { kind: 'int', value: -inner.value };
          if (inner.kind === 'float') return { kind: 'float', value: -inner.value };
        }
        break;
      case 'ident':
        if (token.text === 'true' || token.text === 'false')
          return { kind: 'bool', value: token.text === 'true' };
        if (token.text === 'now' && isPunct('(') && isPunct(')', 1)) {
          at += 2;
          return { kind: 'now' };
        }
        break;
      default:
        break;
    }
    throw new FluxError(`unsupported expression ${JSON.stringify(token.text)} at ${token.pos}`);
  };

  const expression = (param: string): Expr => {
    const isWord = (word: string) => peek().type === 'ident' && peek().text === word;
    const column = (): Expr => {
      next();
      if (isPunct('.')) {
        next();
        const name = next();
        if (name.type !== 'ident') throw new FluxError(`expected a column name at ${name.pos}`);
        return { kind: 'column', name: name.text };
      }
      expect('[');
      const name = next();
      if (name.type !== 'string') throw new FluxError(`expected a column name string at ${name.pos}`);
      expect(']');
      return { kind: 'column', name: name.text };
    };
    const record = (): Expr => {
      expect('{');
      let extendsRow = false;
      if (isWord(param) && peek(1).type === 'ident' && peek(1).text === 'with') {
        at += 2;
        extendsRow = true;
      }
      const properties: [string, Expr][] = [];
      while (!isPunct('}')) {
        const key = next();
        if (key.type !== 'ident' && key.type !== 'string')
          throw new FluxError(`expected a property name at ${key.pos}`);
        expect(':');
        properties.push([key.text, any()]);
        if (!isPunct('}')) expect(',');
      }
      next();
      return { kind: 'record', extendsRow, properties };
    };
    const primary = (): Expr => {
      if (isPunct('(')) {
        next();
        const inner = isPunct('{') ? record() : any();
        expect(')');
        return inner;
      }
      if (isPunct('{')) return record();
      if (isWord(param)) return column();
      // int(v: …) and float(v: …): the conversions the dashboards' arithmetic needs
      if ((isWord('int') || isWord('float')) && isPunct('(', 1)) {
        const to = next().text as 'int' | 'float';
        expect('(');
        const key = next();
        if (key.text !== 'v') throw new FluxError(`${to}() takes v:, not ${key.text}`);
        expect(':');
        const operand = any();
        expect(')');
        return { kind: 'convert', to, operand };
      }
      return literal();
    };
    const binary = (operand: () => Expr, ops: readonly string[]) => (): Expr => {
      let left = operand();
      while (peek().type === 'punct' && ops.includes(peek().text)) {
        const op = next().text;
        left = { kind: 'arithmetic', op, left, right: operand() };
      }
      return left;
    };
    const multiplicative = binary(primary, ['*', '/']);
    const additive = binary(multiplicative, ['+', '-']);
    const comparison = (): Expr => {
      const left = additive();
      const op = peek();
      if (op.type === 'punct' && (op.text === '=~' || op.text === '!~'))
        throw new FluxError(`unsupported operator ${JSON.stringify(op.text)} at ${op.pos}`);
      if (op.type !== 'punct' || !['==', '!=', '<', '<=', '>', '>='].includes(op.text)) return left;
      next();
      return { kind: 'compare', op: op.text, left, right: additive() };
    };
    const unary = (): Expr => {
      if (isWord('not')) {
        next();
        return { kind: 'not', operand: unary() };
      }
      if (isWord('exists')) {
        next();
        return { kind: 'exists', operand: primary() };
      }
      return comparison();
    };
    const and = (): Expr => {
      let left = unary();
      while (isWord('and')) {
        next();
        left = { kind: 'and', left, right: unary() };
      }
      return left;
    };
    const or = (): Expr => {
      let left = and();
      while (isWord('or')) {
        next();
        left = { kind: 'or', left, right: and() };
      }
      return left;
    };
    const any = (): Expr => {
      if (!isWord('if')) return or();
      next();
      const test = any();
      if (!isWord('then')) throw new FluxError(`expected then at ${peek().pos}`);
      next();
      const then = any();
      if (!isWord('else')) throw new FluxError(`expected else at ${peek().pos}`);
      next();
      return { kind: 'if', test, then, otherwise: any() };
    };
    return any();
  };

  const argument = (): Argument => {
    if (isPunct('[')) {
      next();
      const items: Literal[] = [];
      while (!isPunct(']')) {
        items.push(literal());
        if (!isPunct(']')) expect(',');
      }
      next();
      return { kind: 'array', items };
    }
    if (isPunct('(') && peek(1).type === 'ident' && isPunct(')', 2) && isPunct('=>', 3)) {
      next();
      const param = next().text;
      next();
      next();
      return { kind: 'function', body: expression(param) };
    }
    // a function by name, as in aggregateWindow(fn: mean); true, false and now() stay literals
    if (peek().type === 'ident' && !['true', 'false', 'now'].includes(peek().text)) {
      return { kind: 'identifier', name: next().text };
    }
    return literal();
  };

  const call = (): Call => {
    const name = next();
    if (name.type !== 'ident') throw new FluxError(`expected a function call at ${name.pos}`);
    expect('(');
    const args = new Map<string, Argument>();
    while (!isPunct(')')) {
      const key = next();
      if (key.type !== 'ident') throw new FluxError(`expected a named argument at ${key.pos}`);
      expect(':');
      args.set(key.text, argument());
      if (!isPunct(')')) expect(',');
    }
    next();
    return { name: name.text, args };
  };

  const calls = [call()];
  while (isPunct('|>')) {
    next();
    calls.push(call());
  }
  const end = peek();
  if (end.type !== 'eof') throw new FluxError(`unexpected ${JSON.stringify(end.text)} at ${end.pos}`);
  const [from, ...rest] = calls as [Call, ...Call[]];
  if (from.name !== 'from') throw new FluxError(`a query starts with from(), not ${from.name}()`);
  checkArgs(from, ['bucket']);
  const bucket = from.args.get('bucket');
  if (bucket?.kind !== 'string') throw new FluxError('from() needs bucket: "<name>"');
  return { bucket: bucket.value, calls: rest };
}

function parseDuration(text: string): bigint {
  let ns = 0n;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) {
    const perUnit = NS_PER_UNIT[unit as string];
    if (perUnit === undefined) throw new FluxError(`the fake InfluxDB does not support ${unit} durations`);
    ns += BigInt(amount as string) * perUnit;
  }
  return ns;
}

function checkArgs(call: Call, allowed: readonly string[]): void {
  for (const key of call.args.keys()) {
    if (!allowed.includes(key))
      throw new FluxError(`${call.name}() has no argument ${key} the fake understands`);
  }
}

export type ColumnType = 'string' | 'double' | 'long' | 'unsignedLong' | 'boolean' | 'dateTime:RFC3339';
/** time and long are both bigint; the column's type tells them apart */
export type Cell = string | number | bigint | boolean | null;
export type Row = Record<string, Cell>;

export interface Column {
  readonly label: string;
  readonly type: ColumnType;
}

export interface Table {
  readonly columns: readonly Column[];
  readonly key: ReadonlySet<string>;
  readonly rows: readonly Row[];
}

export interface FluxResult {
  readonly name: string;
  readonly tables: readonly Table[];
}

const COLUMN_TYPE: Readonly<Record<FieldType, ColumnType>> = {
  float: 'double',
  integer: 'long',
  unsigned: 'unsignedLong',
  string: 'string',
  boolean: 'boolean',
};

/**
 * Runs the pipeline after from(): range (required first), filter (==, !=, <, <=, >, >= on columns and
 * literals, with and, or, not, exists), pivot, keep, drop, group (by or except), sort, limit, tail, the
 * selectors last, min and max, the aggregates count, sum and mean, aggregateWindow, duplicate, distinct,
 * map (a record, `{ r with … }` or new, of columns, literals, now(), int(), float(), + - * / and
 * if/then/else), and yield. Tables come from storage by series key then field, as InfluxDB reads them;
 * group() orders its tables by key.
 */
export function runFlux(
  pipeline: Pipeline,
  series: ReadonlyMap<string, Series>,
  nowOverride?: bigint,
): FluxResult {
  const now = nowOverride ?? BigInt(Date.now()) * 1_000_000n;
  const [range, ...calls] = pipeline.calls;
  if (range?.name !== 'range') {
    throw new FluxError(
      `cannot submit unbounded read to "${pipeline.bucket}"; try bounding 'from' with a call to 'range'`,
    );
  }
  checkArgs(range, ['start', 'stop']);
  const start = timeArgument(range, 'start', now);
  const stop = range.args.has('stop') ? timeArgument(range, 'stop', now) : now;
  if (start >= stop) throw new FluxError('range: start must be before stop');
  let tables = readRange(series, start, stop);
  let name = '_result';
  calls.forEach((call, index) => {
    switch (call.name) {
      case 'filter': {
        checkArgs(call, ['fn']);
        const fn = call.args.get('fn');
        if (fn?.kind !== 'function') throw new FluxError('filter() needs fn: (r) => …');
        tables = tables
          .map((t) => ({ ...t, rows: t.rows.filter((row) => evaluate(fn.body, row, now)) }))
          .filter((t) => t.rows.length > 0);
        break;
      }
      case 'pivot':
        checkArgs(call, ['rowKey', 'columnKey', 'valueColumn']);
        tables = pivot(
          tables,
          stringList(call, 'rowKey'),
          stringList(call, 'columnKey'),
          stringArgument(call, 'valueColumn'),
        );
        break;
      case 'keep':
      case 'drop': {
        checkArgs(call, ['columns']);
        const listed = new Set(stringList(call, 'columns'));
        const kept = (label: string) => listed.has(label) === (call.name === 'keep');
        tables = tables.map((t) =>
          project(
            t,
            t.columns.filter((c) => kept(c.label)),
          ),
        );
        break;
      }
      case 'group': {
        checkArgs(call, ['columns', 'mode']);
        const columns = call.args.has('columns') ? stringList(call, 'columns') : [];
        const mode = call.args.has('mode') ? stringArgument(call, 'mode') : 'by';
        if (mode !== 'by' && mode !== 'except')
          throw new FluxError(`group() mode ${mode} is not by or except`);
        tables = regroup(tables, columns, mode);
        break;
      }
      case 'sort': {
        checkArgs(call, ['columns', 'desc']);
        const columns = call.args.has('columns') ? stringList(call, 'columns') : ['_value'];
        const desc = call.args.get('desc');
        if (desc !== undefined && desc.kind !== 'bool')
          throw new FluxError('sort() desc must be true or false');
        const descending = desc?.value ?? false;
        tables = tables.map((t) => ({
          ...t,
          rows: [...t.rows].sort((a, b) => compareRows(a, b, columns, descending)),
        }));
        break;
      }
      case 'limit': {
        checkArgs(call, ['n', 'offset']);
        const n = Number(intArgument(call, 'n'));
        const offset = call.args.has('offset') ? Number(intArgument(call, 'offset')) : 0;
        tables = tables
          .map((t) => ({ ...t, rows: t.rows.slice(offset, offset + n) }))
          .filter((t) => t.rows.length);
        break;
      }
      case 'tail': {
        checkArgs(call, ['n', 'offset']);
        const n = Number(intArgument(call, 'n'));
        const offset = call.args.has('offset') ? Number(intArgument(call, 'offset')) : 0;
        tables = tables
          .map((t) => {
            const end = Math.max(0, t.rows.length - offset);
            return { ...t, rows: t.rows.slice(Math.max(0, end - n), end) };
          })
          .filter((t) => t.rows.length);
        break;
      }
      case 'last':
      case 'min':
      case 'max': {
        checkArgs(call, ['column']);
        const column = call.args.has('column') ? stringArgument(call, 'column') : '_value';
        const selected: Table[] = [];
        for (const table of tables) {
          const row = select(call.name, table, column);
          if (row) selected.push({ ...table, rows: [row] });
        }
        tables = selected;
        break;
      }
      case 'count':
      case 'sum':
      case 'mean': {
        checkArgs(call, ['column']);
        const column = call.args.has('column') ? stringArgument(call, 'column') : '_value';
        tables = tables.map((t) => aggregateTable(t, call.name, column));
        break;
      }
      case 'aggregateWindow':
        checkArgs(call, ['every', 'fn', 'createEmpty', 'column']);
        tables = aggregateWindow(tables, call);
        break;
      case 'duplicate': {
        checkArgs(call, ['column', 'as']);
        const column = stringArgument(call, 'column');
        const as = stringArgument(call, 'as');
        tables = tables.map((t) => {
          const source = t.columns.find((c) => c.label === column);
          if (!source) throw new FluxError(`duplicate: column "${column}" does not exist`);
          const columns = [...t.columns.filter((c) => c.label !== as), { label: as, type: source.type }];
          const key = new Set([...t.key].filter((k) => k !== as));
          return { columns, key, rows: t.rows.map((row) => ({ ...row, [as]: row[column] ?? null })) };
        });
        break;
      }
      case 'distinct': {
        checkArgs(call, ['column']);
        const column = call.args.has('column') ? stringArgument(call, 'column') : '_value';
        tables = tables.map((t) => distinct(t, column));
        break;
      }
      case 'map': {
        checkArgs(call, ['fn']);
        const fn = call.args.get('fn');
        if (fn?.kind !== 'function' || fn.body.kind !== 'record')
          throw new FluxError('map() needs fn: (r) => ({ … })');
        const body = fn.body;
        tables = tables.map((t) => mapTable(t, body, now));
        break;
      }
      case 'yield':
        checkArgs(call, ['name']);
        if (index !== calls.length - 1)
          throw new FluxError('the fake InfluxDB supports yield() only at the end');
        if (call.args.has('name')) name = stringArgument(call, 'name');
        break;
      default:
        throw new FluxError(`the fake InfluxDB does not support ${call.name}()`);
    }
  });
  return { name, tables };
}

const AGGREGATE_TYPES: ReadonlySet<ColumnType> = new Set(['double', 'long', 'unsignedLong']);

/**
 * count(), sum() or mean() of one table: one row of the group key's columns and the aggregated column,
 * as Flux's aggregates (every other column is dropped). count() counts non-null cells of any type and
 * is a long; sum() keeps the column's type; mean() is a double. sum() and mean() skip nulls.
 */
function aggregateTable(table: Table, fn: string, column: string): Table {
  const source = table.columns.find((c) => c.label === column);
  if (!source) throw new FluxError(`${fn}(): column "${column}" does not exist`);
  if (fn !== 'count' && !AGGREGATE_TYPES.has(source.type))
    throw new FluxError(`${fn}(): unsupported column type ${source.type}`);
  const values = table.rows.map((row) => row[column] ?? null).filter((v) => v !== null);
  const type: ColumnType = fn === 'count' ? 'long' : fn === 'mean' ? 'double' : source.type;
  const keyColumns = table.columns.filter((c) => table.key.has(c.label) && c.label !== column);
  const row: Row = {};
  for (const c of keyColumns) row[c.label] = table.rows[0]?.[c.label] ?? null;
  row[column] = aggregate(fn, values, type);
  return { columns: [...keyColumns, { label: column, type }], key: table.key, rows: [row] };
}

function aggregate(fn: string, values: readonly Cell[], type: ColumnType): Cell {
  if (fn === 'count') return BigInt(values.length);
  if (values.length === 0) return null;
  if (type === 'double') {
    const sum = values.reduce<number>((total, v) => total + Number(v), 0);
    return fn === 'mean' ? sum / values.length : sum;
  }
  return values.reduce<bigint>((total, v) => total + (v as bigint), 0n);
}

const WINDOW_FUNCTIONS: ReadonlySet<string> = new Set([
  'last',
  'first',
  'min',
  'max',
  'count',
  'sum',
  'mean',
]);

/**
 * aggregateWindow(every, fn, createEmpty: false): per table, the rows cut into windows of `every` aligned
 * to the Unix epoch and clipped to the row's _start and _stop, `fn` applied to each, and `_time` set to
 * the window's (clipped) stop, as Flux's default timeSrc "_stop". Selectors (last, first, min, max) keep
 * the selected row; aggregates keep the group key, _start, _stop, _time and the column. createEmpty must
 * be false: the fake makes no rows for empty windows. Windows come out in time order.
 */
function aggregateWindow(tables: readonly Table[], call: Call): Table[] {
  const every = call.args.get('every');
  if (every?.kind !== 'duration' || every.ns <= 0n)
    throw new FluxError('aggregateWindow() needs every: as a positive duration');
  const fn = call.args.get('fn');
  if (fn?.kind !== 'identifier' || !WINDOW_FUNCTIONS.has(fn.name))
    throw new FluxError(`aggregateWindow() fn must be one of ${[...WINDOW_FUNCTIONS].join(', ')}`);
  const createEmpty = call.args.get('createEmpty');
  if (createEmpty?.kind !== 'bool' || createEmpty.value)
    throw new FluxError('the fake InfluxDB supports aggregateWindow() only with createEmpty: false');
  const column = call.args.has('column') ? stringArgument(call, 'column') : '_value';
  const out: Table[] = [];
  for (const table of tables) {
    const windows = new Map<bigint, Row[]>();
    for (const row of table.rows) {
      const time = row._time;
      if (typeof time !== 'bigint') throw new FluxError('aggregateWindow(): a row has no _time');
      const start = floorDiv(time, every.ns) * every.ns;
      let rows = windows.get(start);
      if (!rows) {
        rows = [];
        windows.set(start, rows);
      }
      rows.push(row);
    }
    const rows: Row[] = [];
    let columns: readonly Column[] = table.columns;
    for (const start of [...windows.keys()].sort(compareBigint)) {
      const members = windows.get(start) as Row[];
      const first = members[0] as Row;
      const stopOfRange = typeof first._stop === 'bigint' ? first._stop : undefined;
      const stop =
        stopOfRange !== undefined && stopOfRange < start + every.ns ? stopOfRange : start + every.ns;
      const window = { ...table, rows: members };
      let result: Table | undefined;
      if (fn.name === 'count' || fn.name === 'sum' || fn.name === 'mean') {
        const kept = table.columns.filter(
          (c) => table.key.has(c.label) || ['_start', '_stop', '_time'].includes(c.label),
        );
        result = aggregateTable({ ...window, key: new Set(kept.map((c) => c.label)) }, fn.name, column);
      } else {
        const selected =
          fn.name === 'first'
            ? members.find((r) => (r[column] ?? null) !== null)
            : select(fn.name, window, column);
        if (selected) result = { ...table, rows: [selected] };
      }
      if (!result) continue;
      columns = result.columns;
      rows.push({ ...(result.rows[0] as Row), _time: stop });
    }
    if (rows.length > 0) out.push({ columns, key: table.key, rows });
  }
  return out;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** distinct(column): per table, the group key and `_value`, one row per distinct value in order of appearance. */
function distinct(table: Table, column: string): Table {
  const source = table.columns.find((c) => c.label === column);
  if (!source) throw new FluxError(`distinct(): column "${column}" does not exist`);
  const keyColumns = table.columns.filter((c) => table.key.has(c.label) && c.label !== '_value');
  const seen = new Set<string>();
  const rows: Row[] = [];
  for (const row of table.rows) {
    const value = row[column] ?? null;
    const id = cellsId([value]);
    if (seen.has(id)) continue;
    seen.add(id);
    const out: Row = {};
    for (const c of keyColumns) out[c.label] = row[c.label] ?? null;
    out._value = value;
    rows.push(out);
  }
  return { columns: [...keyColumns, { label: '_value', type: source.type }], key: table.key, rows };
}

/**
 * map(fn: (r) => ({ r with … })) or ({ … }): each row becomes the record. The group key keeps the
 * columns that remain and are not assigned; the fake does not regroup on a changed key column.
 */
function mapTable(table: Table, body: Extract<Expr, { kind: 'record' }>, now: bigint): Table {
  const assigned = body.properties.map(
    ([label, expr]): Column => ({ label, type: typeOf(expr, table.columns) }),
  );
  const labels = new Set(assigned.map((c) => c.label));
  const columns = [
    ...(body.extendsRow ? table.columns.filter((c) => !labels.has(c.label)) : []),
    ...assigned,
  ];
  const rows = table.rows.map((row) => {
    const out: Row = body.extendsRow ? { ...row } : {};
    for (const [label, expr] of body.properties) out[label] = cellOf(expr, row, now);
    return out;
  });
  const kept = new Set(columns.map((c) => c.label));
  return { columns, key: new Set([...table.key].filter((k) => kept.has(k) && !labels.has(k))), rows };
}

function readRange(series: ReadonlyMap<string, Series>, start: bigint, stop: bigint): Table[] {
  const tables: Table[] = [];
  for (const key of [...series.keys()].sort()) {
    const s = series.get(key) as Series;
    const tagKeys = Object.keys(s.tags).sort();
    const times = [...s.points.keys()].filter((t) => t >= start && t < stop).sort(compareBigint);
    const fieldKeys = new Set<string>();
    for (const t of times)
      for (const f of (s.points.get(t) as ReadonlyMap<string, FieldValue>).keys()) fieldKeys.add(f);
    for (const field of [...fieldKeys].sort()) {
      const rows: Row[] = [];
      let type: ColumnType = 'double';
      for (const t of times) {
        const value = s.points.get(t)?.get(field);
        if (value === undefined) continue;
        type = COLUMN_TYPE[fieldType(value)];
        const cell = typeof value === 'object' ? value.unsigned : value;
        rows.push({
          _start: start,
          _stop: stop,
          _time: t,
          _value: cell,
          _field: field,
          _measurement: s.measurement,
          ...s.tags,
        });
      }
      tables.push({
        columns: [
          { label: '_start', type: 'dateTime:RFC3339' },
          { label: '_stop', type: 'dateTime:RFC3339' },
          { label: '_time', type: 'dateTime:RFC3339' },
          { label: '_value', type },
          { label: '_field', type: 'string' },
          { label: '_measurement', type: 'string' },
          ...tagKeys.map((label): Column => ({ label, type: 'string' })),
        ],
        key: new Set(['_start', '_stop', '_field', '_measurement', ...tagKeys]),
        rows,
      });
    }
  }
  return tables;
}

function pivot(
  tables: readonly Table[],
  rowKey: readonly string[],
  columnKey: readonly string[],
  valueColumn: string,
): Table[] {
  interface Group {
    readonly keyColumns: readonly Column[];
    readonly rowKeyColumns: readonly Column[];
    readonly valueColumns: Map<string, ColumnType>;
    readonly rows: Map<string, Row>;
  }
  const groups = new Map<string, Group>();
  for (const table of tables) {
    const typeOf = (label: string) => {
      const column = table.columns.find((c) => c.label === label);
      if (!column) throw new FluxError(`pivot: specified column does not exist in table: ${label}`);
      return column;
    };
    const valueType = typeOf(valueColumn).type;
    for (const label of columnKey) {
      if (typeOf(label).type !== 'string') throw new FluxError(`pivot: column key ${label} must be a string`);
    }
    const rowKeyColumns = rowKey.map(typeOf);
    const keyColumns = table.columns.filter(
      (c) => table.key.has(c.label) && !columnKey.includes(c.label) && c.label !== valueColumn,
    );
    const groupId = cellsId(keyColumns.map((c) => table.rows[0]?.[c.label] ?? null));
    let group = groups.get(groupId);
    if (!group) {
      group = { keyColumns, rowKeyColumns, valueColumns: new Map(), rows: new Map() };
      groups.set(groupId, group);
    }
    for (const row of table.rows) {
      const label = columnKey.map((c) => String(row[c])).join('_');
      const known = group.valueColumns.get(label);
      if (known !== undefined && known !== valueType) {
        throw new FluxError(`pivot: schema collision: column ${label} is both ${known} and ${valueType}`);
      }
      group.valueColumns.set(label, valueType);
      const id = cellsId(rowKey.map((c) => row[c] ?? null));
      let target = group.rows.get(id);
      if (!target) {
        target = {};
        for (const c of keyColumns) target[c.label] = row[c.label] ?? null;
        for (const c of rowKey) target[c] = row[c] ?? null;
        group.rows.set(id, target);
      }
      target[label] = row[valueColumn] ?? null;
    }
  }
  return [...groups.values()].map((g) => {
    const valueColumns = [...g.valueColumns.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([label, type]): Column => ({ label, type }));
    const columns = [...g.keyColumns, ...g.rowKeyColumns, ...valueColumns];
    const rows = [...g.rows.values()].sort((a, b) => compareRows(a, b, rowKey));
    for (const row of rows) for (const c of valueColumns) row[c.label] ??= null;
    return { columns, key: new Set(g.keyColumns.map((c) => c.label)), rows };
  });
}

function project(table: Table, columns: readonly Column[]): Table {
  const labels = columns.map((c) => c.label);
  return {
    columns,
    key: new Set([...table.key].filter((label) => labels.includes(label))),
    rows: table.rows.map((row) => Object.fromEntries(labels.map((label) => [label, row[label] ?? null]))),
  };
}

function regroup(tables: readonly Table[], listed: readonly string[], mode: 'by' | 'except'): Table[] {
  const groups = new Map<string, { columns: Column[]; key: Set<string>; rows: Row[] }>();
  for (const table of tables) {
    const key = table.columns
      .map((c) => c.label)
      .filter((label) => listed.includes(label) === (mode === 'by'));
    for (const row of table.rows) {
      const id = cellsId(key.flatMap((label) => [label, row[label] ?? null]));
      let group = groups.get(id);
      if (!group) {
        group = { columns: [], key: new Set(key), rows: [] };
        groups.set(id, group);
      }
      for (const column of table.columns) {
        const known = group.columns.find((c) => c.label === column.label);
        if (!known) group.columns.push(column);
        else if (known.type !== column.type) {
          throw new FluxError(
            `group: schema collision: column ${column.label} is both ${known.type} and ${column.type}`,
          );
        }
      }
      group.rows.push(row);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      columns: g.columns,
      key: g.key,
      rows: g.rows.map((row) => Object.fromEntries(g.columns.map((c) => [c.label, row[c.label] ?? null]))),
    }));
}

/** A string that is equal for equal cell lists: the type prefix keeps 1 (long) apart from "1". */
function cellsId(cells: readonly Cell[]): string {
  return cells.map((c) => `${typeof c}:${String(c)}`).join('\u0000');
}

/**
 * By the listed columns, ascending or descending, nulls first either way: what Flux's sort() does
 * (arrowutil.Compare and CompareDesc in influxdata/flux; the documentation says nulls come last when
 * ascending, the code puts them first). Array.prototype.sort is stable, as Flux's sort.SliceStable.
 */
function compareRows(a: Row, b: Row, columns: readonly string[], descending = false): number {
  for (const column of columns) {
    const x = a[column] ?? null;
    const y = b[column] ?? null;
    if (x === null || y === null) {
      if (x !== y) return x === null ? -1 : 1;
      continue;
    }
    const order = compareCells(x, y);
    if (order !== 0) return descending ? -order : order;
  }
  return 0;
}

const ORDERED_TYPES: ReadonlySet<ColumnType> = new Set([
  'double',
  'long',
  'unsignedLong',
  'dateTime:RFC3339',
]);

/**
 * The row a selector keeps from one table, undefined when it keeps none (the table is then dropped, as
 * Flux does): last() the last row whose `column` is not null, whatever its type; min() and max() the
 * first row holding the smallest or largest value of a numeric or time column, nulls skipped.
 */
function select(name: string, table: Table, column: string): Row | undefined {
  const type = table.columns.find((c) => c.label === column)?.type;
  if (type === undefined) throw new FluxError(`${name}(): no column "${column}" exists`);
  if (name === 'last') return table.rows.findLast((row) => (row[column] ?? null) !== null);
  if (!ORDERED_TYPES.has(type)) throw new FluxError(`${name}(): unsupported column type ${type}`);
  const sign = name === 'min' ? -1 : 1;
  let best: Row | undefined;
  for (const row of table.rows) {
    const value = row[column] ?? null;
    if (value === null) continue;
    if (best === undefined || sign * compareCells(value, best[column] as Cell) > 0) best = row;
  }
  return best;
}

function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'string' || typeof b === 'string') return String(a) < String(b) ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** filter's test of one row: true keeps it; null (a comparison with null) drops it, as in Flux. */
function evaluate(expr: Expr, row: Row, now: bigint): boolean {
  return cellOf(expr, row, now) === true;
}

function cellOf(expr: Expr, row: Row, now: bigint): Cell {
  switch (expr.kind) {
    case 'column':
      return row[expr.name] ?? null;
    case 'string':
    case 'float':
    case 'int':
    case 'bool':
      return expr.value;
    case 'time':
    case 'duration':
      return expr.ns;
    case 'now':
      return now;
    case 'and':
      return cellOf(expr.left, row, now) === true && cellOf(expr.right, row, now) === true;
    case 'or':
      return cellOf(expr.left, row, now) === true || cellOf(expr.right, row, now) === true;
    case 'not': {
      const operand = cellOf(expr.operand, row, now);
      return operand === null ? null : !operand;
    }
    case 'exists':
      return cellOf(expr.operand, row, now) !== null;
    case 'compare': {
      const left = cellOf(expr.left, row, now);
      const right = cellOf(expr.right, row, now);
      // Flux: a comparison with null is null, which filter treats as false
      if (left === null || right === null) return null;
      const order = compareCells(left, right);
      switch (expr.op) {
        case '==':
          return order === 0;
        case '!=':
          return order !== 0;
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        default:
          return order >= 0;
      }
    }
    case 'arithmetic':
      return arithmetic(expr.op, cellOf(expr.left, row, now), cellOf(expr.right, row, now));
    case 'convert': {
      const operand = cellOf(expr.operand, row, now);
      if (operand === null) return null;
      if (expr.to === 'float') {
        if (typeof operand === 'bigint' || typeof operand === 'number') return Number(operand);
        if (typeof operand === 'string' && operand.trim() !== '' && Number.isFinite(Number(operand)))
          return Number(operand);
      } else {
        if (typeof operand === 'bigint') return operand;
        if (typeof operand === 'number' && Number.isFinite(operand)) return BigInt(Math.trunc(operand));
        if (typeof operand === 'boolean') return operand ? 1n : 0n;
        if (typeof operand === 'string' && /^-?\d+$/.test(operand)) return BigInt(operand);
      }
      throw new FluxError(`${expr.to}(): cannot convert ${String(operand)}`);
    }
    case 'if': {
      const test = cellOf(expr.test, row, now);
      return cellOf(test === true ? expr.then : expr.otherwise, row, now);
    }
    case 'record':
      throw new FluxError('a record is not a value here');
  }
}

/**
 * + - * / on two ints (integer division truncates, as Flux's) or two floats, + on two strings; Flux has no
 * implicit casts.
 */
function arithmetic(op: string, left: Cell, right: Cell): Cell {
  if (left === null || right === null) return null;
  if (typeof left === 'bigint' && typeof right === 'bigint') {
    if (op === '/' && right === 0n) throw new FluxError('cannot divide by zero');
    return op === '+' ? left + right : op === '-' ? left - right : op === '*' ? left * right : left / right;
  }
  if (op === '+' && typeof left === 'string' && typeof right === 'string') return left + right;
  if (typeof left === 'number' && typeof right === 'number') {
    return op === '+' ? left + right : op === '-' ? left - right : op === '*' ? left * right : left / right;
  }
  throw new FluxError(
    `type error: ${op} needs two ints or two floats, not ${typeof left} and ${typeof right}`,
  );
}

/** The column type an expression produces, for the columns map() adds. */
function typeOf(expr: Expr, columns: readonly Column[]): ColumnType {
  switch (expr.kind) {
    case 'column': {
      const column = columns.find((c) => c.label === expr.name);
      if (!column) throw new FluxError(`map: column ${expr.name} does not exist`);
      return column.type;
    }
    case 'string':
      return 'string';
    case 'float':
      return 'double';
    case 'int':
      return 'long';
    case 'bool':
    case 'and':
    case 'or':
    case 'not':
    case 'exists':
    case 'compare':
      return 'boolean';
    case 'time':
    case 'now':
      return 'dateTime:RFC3339';
    case 'convert':
      return expr.to === 'int' ? 'long' : 'double';
    case 'arithmetic':
      return typeOf(expr.left, columns);
    case 'if':
      return typeOf(expr.then, columns);
    case 'duration':
    case 'record':
      throw new FluxError(`a ${expr.kind} cannot be a column`);
  }
}

function timeArgument(call: Call, key: string, now: bigint): bigint {
  const arg = call.args.get(key);
  switch (arg?.kind) {
    case 'time':
      return arg.ns;
    case 'duration':
      return now + arg.ns;
    case 'int':
      return arg.value * 1_000_000_000n;
    case 'now':
      return now;
    default:
      throw new FluxError(`${call.name}() needs ${key} as a time, a duration or Unix seconds`);
  }
}

function stringArgument(call: Call, key: string): string {
  const arg = call.args.get(key);
  if (arg?.kind !== 'string') throw new FluxError(`${call.name}() needs ${key} as a string`);
  return arg.value;
}

function intArgument(call: Call, key: string): bigint {
  const arg = call.args.get(key);
  if (arg?.kind !== 'int') throw new FluxError(`${call.name}() needs ${key} as an integer`);
  return arg.value;
}

function stringList(call: Call, key: string): string[] {
  const arg = call.args.get(key);
  if (arg?.kind !== 'array' || !arg.items.every((i) => i.kind === 'string')) {
    throw new FluxError(`${call.name}() needs ${key} as a list of strings`);
  }
  return arg.items.map((i) => (i as { value: string }).value);
}
