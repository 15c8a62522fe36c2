/**
 * The strict line protocol parser: InfluxDB's grammar (models.ParsePointsWithPrecision) and its error
 * texts, `unable to parse '<line>': <reason>`.
 *
 * It is also the fake's hot path: the forwarder's benchmark sends half a million lines through it on a
 * machine it shares with the forwarder. So it reads the body's bytes, as InfluxDB does, without decoding
 * the body into a string; each line is parsed into storage reused from line to line (LineScanner) and
 * checked completely there, but strings, BigInts and the fields Map are only made for a point someone
 * keeps (`toPoint`). A write benchmark that stores nothing allocates next to nothing per line.
 */
import type { FieldType, FieldValue } from './fields.ts';

export const PRECISIONS = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n } as const;
export type Precision = keyof typeof PRECISIONS;

export function isPrecision(value: string): value is Precision {
  return Object.hasOwn(PRECISIONS, value);
}

export interface ParsedPoint {
  readonly measurement: string;
  /** unescaped, sorted by key */
  readonly tags: readonly (readonly [string, string])[];
  readonly fields: ReadonlyMap<string, FieldValue>;
  /** nanoseconds since the epoch */
  readonly time: bigint;
  /** measurement and sorted tags in line protocol form: the series identity */
  readonly seriesKey: string;
}

export type LineProtocolResult =
  | { readonly ok: true; readonly points: ParsedPoint[] }
  | { readonly ok: false; readonly errors: string[] };

/**
 * Parses a write body as InfluxDB's models.ParsePointsWithPrecision does, with its error texts
 * (`unable to parse '<line>': <reason>`). Blank lines and `#` comments are skipped.
 */
export function parseLineProtocol(
  text: string,
  precision: Precision = 'ns',
  now: bigint = BigInt(Date.now()) * 1_000_000n,
): LineProtocolResult {
  const points: ParsedPoint[] = [];
  // Read as the UTF-8 it would be sent as, which is what InfluxDB parses. Only a lone surrogate, which
  // no body can carry, reads differently: as U+FFFD, as it would arrive.
  const errors = new LineScanner().scan(Buffer.from(text, 'utf8'), precision, now, (line) =>
    points.push(line.toPoint()),
  );
  return errors.length > 0 ? { ok: false, errors } : { ok: true, points };
}

/**
 * The line a LineScanner has just parsed, valid inside the visitor only: the next line overwrites it.
 * Everything here has been checked; `toPoint` cannot fail.
 */
export interface ScannedLine {
  readonly measurement: string;
  readonly fieldCount: number;
  /** keys by position on the line, unescaped; only the first fieldCount are this line's */
  readonly fieldKeys: readonly string[];
  readonly fieldTypes: readonly FieldType[];
  /** measurement, field keys and field types are those of the line visited just before */
  readonly sameShape: boolean;
  /** the point to keep: tags, fields, time and series key made now */
  toPoint(): ParsedPoint;
}

const NEWLINE = 10;
const SPACE = 32;
const TAB = 9;
const NUL = 0;
const COMMA = 44;
const EQUALS = 61;
const QUOTE = 34;
const BACKSLASH = 92;
const HASH = 35;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

// int64 nanoseconds, as InfluxDB's MinNanoTime and MaxNanoTime
const MIN_NANO_TIME = -(2n ** 63n) + 2n;
const MAX_NANO_TIME = 2n ** 63n - 1n - 1n;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;

/**
 * Decimal digits that a double holds exactly (10^15 < 2^53) and that fit int64 and uint64 whatever they
 * are: integers and timestamps this long are read as doubles, and only longer ones need BigInt.
 */
const SAFE_DIGITS = 15;

/** How the scratch holds a field value at a position; see LineScanner.valueAt. */
const PLAIN = 0;
/** an integer or unsigned too long for a double, in `bigValues` */
const BIG = 1;
/** a string with `\"` or `\\` in it, unescaped when made */
const ESCAPED = 2;

/** Exact powers of ten: a mantissa below 2^53 divided by one of them is correctly rounded. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

// A Map, not an object literal: `m v=constructor` must not find Object.prototype.constructor.
const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['t', true],
  ['T', true],
  ['true', true],
  ['True', true],
  ['TRUE', true],
  ['f', false],
  ['F', false],
  ['false', false],
  ['False', false],
  ['FALSE', false],
]);

const MEASUREMENT_ESCAPES = /\\([, ])/g;
const TAG_ESCAPES = /\\([, =])/g;
const MEASUREMENT_SPECIALS = /[, ]/g;
const TAG_SPECIALS = /[, =]/g;

const EMPTY: Buffer = Buffer.alloc(0);
const EMPTY_VIEW: DataView = new DataView(new ArrayBuffer(0));

class LineError extends Error {}

function invalid(reason: string): never {
  throw new LineError(reason);
}

/**
 * Parses write bodies line by line into storage it reuses, handing each good line to a visitor. One
 * scanner serves many bodies, one at a time, and remembers the measurement, tag keys and field keys of
 * the lines before: a writer sends them the same every line, so a known key costs a compare instead of
 * a slice and a fresh string.
 *
 * Plain loops over bytes, each read once where possible. Syntax is all ASCII and every byte of a
 * multi-byte UTF-8 char is above it, so bytes split a line exactly where the decoded text would. Past
 * the end `t[i]` is undefined, which equals nothing and compares false like NaN, so only the
 * fallthrough branches check `i >= n`. An escape is a backslash before the char, as InfluxDB reads it.
 */
export class LineScanner implements ScannedLine {
  measurement = '';
  /** -1 after a bad line, so that the next line is never the same shape */
  fieldCount = -1;
  readonly fieldKeys: string[] = [];
  readonly fieldTypes: FieldType[] = [];
  sameShape = false;

  // the body being scanned and its settings
  private text = EMPTY;
  /** the same bytes, to compare four at a time */
  private view = EMPTY_VIEW;
  private multiplier = 1n;
  private defaultTime = 0n;
  /** the timestamps allowed, in the precision's units; exact for the SAFE_DIGITS ones compared to them */
  private minUnits = 0;
  private maxUnits = 0;
  private visit: (line: ScannedLine) => void = () => undefined;

  // what toPoint needs of the line just parsed
  private lineStart = 0;
  /** end of measurement and tags: the series key when they need no rewriting */
  private seriesEnd = 0;
  private keyEscaped = false;
  private tagsSorted = true;
  private tagCount = 0;
  private readonly tagKeys: string[] = [];
  private readonly tagValueStarts: number[] = [];
  private readonly tagValueEnds: number[] = [];
  private readonly tagValueEscaped: boolean[] = [];
  /** made and sorted during the parse when the wire order was not sorted, to find duplicates */
  private sortedTags: [string, string][] | undefined = undefined;
  /** a float, an integer or unsigned that fits a double, 1 or 0 for a boolean, a string's start */
  private readonly values: number[] = [];
  /** a string's end (its closing quote) */
  private readonly valueEnds: number[] = [];
  private readonly valueKinds: number[] = [];
  private readonly bigValues: bigint[] = [];
  /** the timestamp: absent (the server's time), in units of the precision, or in nanoseconds */
  private timeKind: 'default' | 'units' | 'ns' = 'default';
  private timeUnits = 0;
  private timeNs = 0n;

  // what the lines before looked like, without escapes: these compare against the text as it is
  private measurementCache: Known | undefined = undefined;
  private readonly tagKeyCache: (Known | undefined)[] = [];
  private readonly fieldKeyCache: (Known | undefined)[] = [];

  /** Parses a whole body; the errors, one per bad line, in InfluxDB's words. */
  scan(text: Buffer, precision: Precision, now: bigint, visit: (line: ScannedLine) => void): string[] {
    try {
      return this.scanLines(text, precision, now, visit);
    } finally {
      // not holding on to a body until the next one
      this.text = EMPTY;
      this.view = EMPTY_VIEW;
      this.visit = () => undefined;
    }
  }

  private scanLines(
    text: Buffer,
    precision: Precision,
    now: bigint,
    visit: (line: ScannedLine) => void,
  ): string[] {
    const errors: string[] = [];
    const multiplier = PRECISIONS[precision];
    this.text = text;
    this.view = new DataView(text.buffer, text.byteOffset, text.byteLength);
    this.multiplier = multiplier;
    // a point without timestamp gets the server's time, truncated to the precision
    this.defaultTime = (now / multiplier) * multiplier;
    this.minUnits = Number(MIN_NANO_TIME / multiplier);
    this.maxUnits = Number(MAX_NANO_TIME / multiplier);
    this.visit = visit;
    this.fieldCount = -1;
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      const start = skipBlanks(text, pos);
      if (start >= n) break;
      const first = text[start] as number;
      if (first === NEWLINE) {
        pos = start + 1;
      } else if (first === HASH) {
        const end = text.indexOf(NEWLINE, start);
        pos = end === -1 ? n : end + 1;
      } else {
        pos = this.parseLine(text, start, errors) + 1;
      }
    }
    return errors;
  }

  /** One point to the visitor, or its error into `errors`; the index of the line's end either way. */
  private parseLine(text: Buffer, start: number, errors: string[]): number {
    try {
      return this.parsePoint(text, start);
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      this.fieldCount = -1;
      const end = lineEnd(text, start);
      errors.push(`unable to parse '${text.toString('utf8', start, end)}': ${err.message}`);
      return end;
    }
  }

  /** Parses the point at `start` and hands it to the visitor; returns the index of its line's end. */
  private parsePoint(t: Buffer, start: number): number {
    const n = t.length;
    let i = start;
    let c = t[i] as number;
    let keyEscaped = false;

    // measurement: up to an unescaped comma (tags follow) or space (fields follow)
    const known = this.measurementCache;
    let measurement = '';
    if (known?.at(this.view, t, i)) {
      measurement = known.text;
      i += known.length;
      c = t[i] as number;
    }
    if (i === start || (c !== COMMA && c !== SPACE)) {
      i = start;
      c = t[i] as number;
      if (c === COMMA) invalid('missing measurement');
      for (;;) {
        c = t[++i] as number;
        if (c === COMMA || c === SPACE) {
          if (t[i - 1] !== BACKSLASH) break;
        } else if (c === BACKSLASH) keyEscaped = true;
        else if (c === NEWLINE || i >= n) invalid('missing fields');
      }
      measurement = t.toString('utf8', start, i);
      if (keyEscaped) measurement = unescapeKey(measurement, MEASUREMENT_ESCAPES);
      else this.measurementCache = new Known(measurement, t, start, i);
    }

    let tagCount = 0;
    let tagsSorted = true;
    const tagKeys = this.tagKeys;
    while (c === COMMA) {
      const keyStart = ++i;
      let escaped = false;
      const known = this.tagKeyCache[tagCount];
      let key: string;
      if (known?.at(this.view, t, i)) {
        key = known.text;
        i += known.length;
      } else {
        c = t[i] as number;
        if (c === SPACE || c === COMMA || c === EQUALS || c === NEWLINE || i >= n) invalid('missing tag key');
        for (;;) {
          if (c === BACKSLASH) escaped = true;
          c = t[++i] as number;
          if (c === EQUALS) {
            if (t[i - 1] !== BACKSLASH) break;
          } else if (c === SPACE || c === COMMA) {
            if (t[i - 1] !== BACKSLASH) invalid('missing tag value');
          } else if (c === NEWLINE || i >= n) invalid('missing tag value');
        }
        key = t.toString('utf8', keyStart, i);
        if (escaped) key = unescapeKey(key, TAG_ESCAPES);
        else this.tagKeyCache[tagCount] = new Known(key, t, keyStart, i, EQUALS);
      }
      const valueStart = ++i;
      keyEscaped ||= escaped;
      escaped = false;
      c = t[i] as number;
      if (c === COMMA || c === SPACE || c === NEWLINE || i >= n) invalid('missing tag value');
      for (;;) {
        if (c === BACKSLASH) escaped = true;
        c = t[++i] as number;
        if (c === COMMA || c === SPACE) {
          if (t[i - 1] !== BACKSLASH) break;
        } else if (c === EQUALS) {
          if (t[i - 1] !== BACKSLASH) invalid('invalid tag format');
        } else if (c === NEWLINE || i >= n) invalid('missing fields');
      }
      keyEscaped ||= escaped;
      if (tagCount > 0 && (tagKeys[tagCount - 1] as string) >= key) tagsSorted = false;
      tagKeys[tagCount] = key;
      this.tagValueStarts[tagCount] = valueStart;
      this.tagValueEnds[tagCount] = i;
      this.tagValueEscaped[tagCount] = escaped;
      tagCount++;
    }
    this.tagCount = tagCount;
    this.sortedTags = undefined;
    if (!tagsSorted) {
      const tags = this.tags(t);
      tags.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (let k = 1; k < tags.length; k++) {
        if ((tags[k] as [string, string])[0] === (tags[k - 1] as [string, string])[0])
          invalid('duplicate tags');
      }
      this.sortedTags = tags;
    }
    this.seriesEnd = i;
    this.tagsSorted = tagsSorted;
    this.keyEscaped = keyEscaped;

    // fields: key=value pairs separated by commas, ended by a space or the line's end
    i = skipBlanks(t, i);
    c = t[i] as number;
    if (c === NEWLINE || i >= n) invalid('missing fields');
    const keys = this.fieldKeys;
    const types = this.fieldTypes;
    const previousCount = this.fieldCount;
    let same = measurement === this.measurement;
    let position = 0;
    for (; ; position++) {
      const known = this.fieldKeyCache[position];
      let key: string;
      if (known?.at(this.view, t, i)) {
        key = known.text;
        i += known.length;
      } else {
        const keyStart = i;
        let escaped = false;
        for (;;) {
          if (c === EQUALS) break;
          if (c === BACKSLASH && i + 1 < n) {
            escaped = true;
            i++;
          } else if (c === SPACE || c === COMMA)
            invalid(i === keyStart ? 'missing field key' : 'invalid field format');
          else if (c === NEWLINE || i >= n) invalid('invalid field format');
          c = t[++i] as number;
        }
        if (i === keyStart) invalid('missing field key');
        key = t.toString('utf8', keyStart, i);
        if (escaped) key = unescapeKey(key, TAG_ESCAPES);
        else this.fieldKeyCache[position] = new Known(key, t, keyStart, i, EQUALS);
      }
      c = t[++i] as number;
      if (c === SPACE || c === COMMA || c === NEWLINE || i >= n) invalid('missing field value');
      let type: FieldType;
      if (c === QUOTE) {
        i = this.scanString(t, i, position);
        type = 'string';
      } else if ((c >= ZERO && c <= NINE) || c === DOT || c === MINUS || c === 78 || c === 110) {
        // InfluxDB: digits, '.', '-' and NaN's 'N' start numbers; anything else must be a boolean
        const tokenStart = i;
        // The usual reading, a plain decimal of up to 15 digits, in one pass; anything else goes to
        // parseNumber whole.
        const negative = c === MINUS;
        if (negative) c = t[++i] as number;
        let mantissa = 0;
        let digits = 0;
        let decimals = 0;
        let dot = false;
        for (;;) {
          if (c >= ZERO && c <= NINE) {
            mantissa = mantissa * 10 + (c - ZERO);
            digits++;
            if (dot) decimals++;
          } else if (c === DOT && !dot) dot = true;
          else break;
          c = t[++i] as number;
        }
        if ((c === COMMA || c === SPACE || c === NEWLINE || i >= n) && digits > 0 && digits <= SAFE_DIGITS) {
          // the same double as Number() gives (Clinger's exact case)
          const value = mantissa / (POWERS_OF_TEN[decimals] as number);
          this.values[position] = negative ? -value : value;
          this.valueKinds[position] = PLAIN;
          type = 'float';
        } else {
          while (c !== COMMA && c !== SPACE && c !== NEWLINE && i < n) c = t[++i] as number;
          type = this.parseNumber(t, tokenStart, i, position);
        }
      } else {
        const tokenStart = i;
        while (c !== COMMA && c !== SPACE && c !== NEWLINE && i < n) c = t[++i] as number;
        const value = BOOLEANS.get(t.toString('utf8', tokenStart, i));
        if (value === undefined) invalid('invalid boolean');
        this.values[position] = value ? 1 : 0;
        this.valueKinds[position] = PLAIN;
        type = 'boolean';
      }
      if (same && (keys[position] !== key || types[position] !== type)) same = false;
      keys[position] = key;
      types[position] = type;
      c = t[i] as number;
      if (c === SPACE) break;
      if (c === NEWLINE || i >= n) {
        this.timeKind = 'default';
        return this.finish(start, measurement, position + 1, same && position + 1 === previousCount, i);
      }
      if (c !== COMMA) invalid('invalid field format');
      c = t[++i] as number;
    }
    same &&= position + 1 === previousCount;

    // timestamp: optional, an integer in the write's precision, then nothing but spaces
    i = skipBlanks(t, i);
    c = t[i] as number;
    if (c === NEWLINE || i >= n) {
      this.timeKind = 'default';
      return this.finish(start, measurement, position + 1, same, i);
    }
    const timeStart = i;
    const negative = c === MINUS;
    if (negative) c = t[++i] as number;
    const digitsStart = i;
    let units = 0;
    while (c !== SPACE && c !== NEWLINE && i < n) {
      if (c < ZERO || c > NINE) invalid('bad timestamp');
      units = units * 10 + (c - ZERO);
      c = t[++i] as number;
    }
    const timeEnd = i;
    if (timeEnd === digitsStart) invalid('bad timestamp');
    while (c !== NEWLINE && i < n) {
      if (c !== SPACE) invalid('point is invalid');
      c = t[++i] as number;
    }
    if (timeEnd - digitsStart <= SAFE_DIGITS) {
      // within int64 whatever the digits; the range check in doubles is exact for such values
      if (negative) units = -units;
      if (units < this.minUnits || units > this.maxUnits)
        invalid(`time outside range ${MIN_NANO_TIME} - ${MAX_NANO_TIME}`);
      this.timeKind = 'units';
      this.timeUnits = units;
    } else {
      const digits = t.toString('utf8', timeStart, timeEnd);
      const value = BigInt(digits);
      if (value < MIN_INT64 || value > MAX_INT64)
        invalid(`strconv.ParseInt: parsing "${digits}": value out of range`);
      const time = value * this.multiplier;
      if (time < MIN_NANO_TIME || time > MAX_NANO_TIME)
        invalid(`time outside range ${MIN_NANO_TIME} - ${MAX_NANO_TIME}`);
      this.timeKind = 'ns';
      this.timeNs = time;
    }
    return this.finish(start, measurement, position + 1, same, i);
  }

  private finish(
    start: number,
    measurement: string,
    fieldCount: number,
    sameShape: boolean,
    end: number,
  ): number {
    this.lineStart = start;
    this.measurement = measurement;
    this.fieldCount = fieldCount;
    this.sameShape = sameShape;
    this.visit(this);
    return end;
  }

  /**
   * A double-quoted string value starting at `i`; only `\"` and `\\` are escapes. Checked and located
   * here, made by valueAt. Returns the index after it.
   */
  private scanString(t: Buffer, i: number, position: number): number {
    const from = i + 1;
    let escaped = false;
    for (i = from; ; i++) {
      if (i >= t.length) invalid('unbalanced quotes');
      const c = t[i] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH && i + 1 < t.length) {
        const next = t[i + 1] as number;
        if (next === QUOTE || next === BACKSLASH) escaped = true;
        i++;
      }
    }
    this.values[position] = from;
    this.valueEnds[position] = i;
    this.valueKinds[position] = escaped ? ESCAPED : PLAIN;
    return i + 1;
  }

  /** A number other than a short plain decimal: integers, unsigned, exponents, long mantissas. */
  private parseNumber(t: Buffer, start: number, end: number, position: number): FieldType {
    const last = t[end - 1] as number;
    if (last === 105 /* i */ || last === 117 /* u */) {
      // -?\d+ before an i, \d+ before a u
      const unsigned = last === 117;
      const digitsEnd = end - 1;
      let i = start;
      const negative = !unsigned && t[i] === MINUS;
      if (negative) i++;
      if (i === digitsEnd) invalid('invalid number');
      let value = 0;
      for (let k = i; k < digitsEnd; k++) {
        const c = t[k] as number;
        if (c < ZERO || c > NINE) invalid('invalid number');
        value = value * 10 + (c - ZERO);
      }
      if (digitsEnd - i <= SAFE_DIGITS) {
        this.values[position] = negative ? -value : value;
        this.valueKinds[position] = PLAIN;
      } else {
        const digits = t.toString('utf8', start, digitsEnd);
        const big = BigInt(digits);
        if (unsigned ? big > MAX_UINT64 : big < MIN_INT64 || big > MAX_INT64) {
          invalid(`unable to parse ${unsigned ? 'unsigned' : 'integer'} ${digits}: value out of range`);
        }
        this.bigValues[position] = big;
        this.valueKinds[position] = BIG;
      }
      return unsigned ? 'unsigned' : 'integer';
    }
    if (!isFloatText(t, start, end)) invalid('invalid number');
    const value = Number(t.toString('latin1', start, end));
    if (!Number.isFinite(value)) invalid('invalid float');
    this.values[position] = value;
    this.valueKinds[position] = PLAIN;
    return 'float';
  }

  toPoint(): ParsedPoint {
    const t = this.text;
    const tags = this.sortedTags ?? this.tags(t);
    const seriesKey =
      this.tagsSorted && !this.keyEscaped
        ? t.toString('utf8', this.lineStart, this.seriesEnd)
        : escapeKey(this.measurement, tags);
    const fields = new Map<string, FieldValue>();
    for (let position = 0; position < this.fieldCount; position++) {
      fields.set(this.fieldKeys[position] as string, this.valueAt(t, position));
    }
    const time =
      this.timeKind === 'units'
        ? BigInt(this.timeUnits) * this.multiplier
        : this.timeKind === 'ns'
          ? this.timeNs
          : this.defaultTime;
    return { measurement: this.measurement, tags, fields, time, seriesKey };
  }

  /** The line's tags in wire order, unescaped. */
  private tags(t: Buffer): [string, string][] {
    const tags: [string, string][] = [];
    for (let k = 0; k < this.tagCount; k++) {
      const value = t.toString('utf8', this.tagValueStarts[k], this.tagValueEnds[k]);
      tags.push([
        this.tagKeys[k] as string,
        this.tagValueEscaped[k] ? unescapeKey(value, TAG_ESCAPES) : value,
      ]);
    }
    return tags;
  }

  private valueAt(t: Buffer, position: number): FieldValue {
    const type = this.fieldTypes[position];
    const kind = this.valueKinds[position];
    const value = this.values[position] as number;
    switch (type) {
      case 'float':
        return value;
      case 'boolean':
        return value === 1;
      case 'string':
        return kind === ESCAPED
          ? unescapeString(t, value, this.valueEnds[position] as number)
          : t.toString('utf8', value, this.valueEnds[position]);
      default: {
        const big = kind === BIG ? (this.bigValues[position] as bigint) : BigInt(value);
        return type === 'unsigned' ? { unsigned: big } : big;
      }
    }
  }
}

/** Index of the newline ending the line at `start` (or the text length), skipping quoted strings. */
function lineEnd(t: Buffer, start: number): number {
  let inFields = false;
  let quoted = false;
  let equals = 0;
  let commas = 0;
  for (let i = start; i < t.length; i++) {
    const c = t[i] as number;
    if (c === BACKSLASH) {
      i++;
      continue;
    }
    if (c === SPACE) inFields = true;
    if (inFields) {
      if (!quoted && c === EQUALS) equals++;
      else if (!quoted && c === COMMA) commas++;
      else if (c === QUOTE && equals > commas) quoted = !quoted;
    }
    if (c === NEWLINE && !quoted) return i;
  }
  return t.length;
}

function skipBlanks(t: Buffer, i: number): number {
  let c = t[i] as number;
  while (c === SPACE || c === TAB || c === NUL) c = t[++i] as number;
  return i;
}

/**
 * A measurement or key seen on an earlier line, unescaped, with its bytes (and the `=` after a key)
 * copied out of that line's body, so that comparing it with a line reads the line only.
 */
class Known {
  readonly codes: Uint8Array;
  /** the codes four by four, little-endian, as DataView reads them; the rest are compared one by one */
  readonly words: Int32Array;
  /** of the text alone, in bytes */
  readonly length: number;

  constructor(
    readonly text: string,
    body: Buffer,
    start: number,
    end: number,
    after?: number,
  ) {
    this.length = end - start;
    this.codes = new Uint8Array(this.length + (after === undefined ? 0 : 1));
    this.codes.set(body.subarray(start, end));
    if (after !== undefined) this.codes[this.length] = after;
    this.words = new Int32Array(this.codes.length >> 2);
    const words = new DataView(this.codes.buffer);
    for (let w = 0; w < this.words.length; w++) this.words[w] = words.getInt32(4 * w, true);
  }

  /** Whether the text (and what follows it) starts at `i`. */
  at(view: DataView, t: Buffer, i: number): boolean {
    const codes = this.codes;
    if (i + codes.length > t.length) return false;
    const words = this.words;
    for (let w = 0; w < words.length; w++) if (view.getInt32(i + 4 * w, true) !== words[w]) return false;
    for (let k = words.length * 4; k < codes.length; k++) if (t[i + k] !== codes[k]) return false;
    return true;
  }
}

/** The string value between `from` and its closing quote at `end`, with `\"` and `\\` unescaped. */
function unescapeString(t: Buffer, from: number, end: number): string {
  let value = '';
  let i = from;
  for (; i < end; i++) {
    if (t[i] === BACKSLASH && i + 1 < t.length) {
      const next = t[i + 1] as number;
      if (next === QUOTE || next === BACKSLASH) {
        value += t.toString('utf8', from, i);
        from = i + 1;
      }
      i++;
    }
  }
  return value + t.toString('utf8', from, end);
}

/** `-?(digits[.digits]|.digits)([eE][+-]?digits)?`, the floats InfluxDB's scanner lets through. */
function isFloatText(t: Buffer, start: number, end: number): boolean {
  let i = start;
  if (t[i] === MINUS) i++;
  let digits = 0;
  let dot = false;
  for (; i < end; i++) {
    const c = t[i] as number;
    if (c >= ZERO && c <= NINE) digits++;
    else if (c === DOT && !dot) dot = true;
    else break;
  }
  if (digits === 0) return false;
  if (i === end) return true;
  const e = t[i++] as number;
  if (e !== 101 && e !== 69) return false;
  const sign = t[i] as number;
  if (sign === 43 || sign === MINUS) i++;
  if (i === end) return false;
  for (; i < end; i++) {
    const c = t[i] as number;
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

function unescapeKey(text: string, escapes: RegExp): string {
  return text.includes('\\') ? text.replace(escapes, '$1') : text;
}

function escapeKey(measurement: string, tags: readonly (readonly [string, string])[]): string {
  let key = measurement.replace(MEASUREMENT_SPECIALS, '\\$&');
  for (const [k, v] of tags) key += `,${k.replace(TAG_SPECIALS, '\\$&')}=${v.replace(TAG_SPECIALS, '\\$&')}`;
  return key;
}
