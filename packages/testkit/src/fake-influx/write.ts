/**
 * POST /api/v2/write past auth and lookup: the body decoded, every line parsed strictly, field types
 * checked against the bucket, and the batch stored whole or refused whole.
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { FieldType } from './fields.ts';
import type { LineScanner, ParsedPoint, Precision, ScannedLine } from './line-protocol.ts';
import { type Bucket, store } from './storage.ts';

export type WriteOutcome =
  | { readonly status: 204; readonly lines: number }
  | { readonly status: 400 | 415 | 422; readonly message: string };

const gunzipAsync = promisify(gunzip);

/** zlib's default output chunk; a body is inflated in pieces of at least this */
const MIN_CHUNK = 16 * 1024;
const MAX_CHUNK = 64 * 1024 * 1024;

/**
 * The body as sent, or gunzipped on libuv's thread pool so the event loop keeps answering; else the
 * error to answer. The inflate goes in one piece when the gzip trailer's size is honest: zlib's 16 KiB
 * default costs a thread pool round trip and a callback per piece, twice the CPU of the inflate itself.
 */
export async function decodeBody(
  raw: Buffer,
  encoding: string,
): Promise<Buffer | { readonly status: 400 | 415; readonly message: string }> {
  if (encoding === 'identity') return raw;
  if (encoding !== 'gzip') return { status: 415, message: `Content-Encoding ${encoding} not supported` };
  try {
    return await gunzipAsync(raw, { chunkSize: chunkFor(raw) });
  } catch (err) {
    return { status: 400, message: `unable to decompress request body: ${String(err)}` };
  }
}

/**
 * The output piece for inflating `raw`, from ISIZE, the last four bytes of a gzip member: its
 * uncompressed size modulo 4 GiB. Only a hint: a body of several members, or a lying one, just takes
 * more pieces.
 */
function chunkFor(raw: Buffer): number {
  if (raw.length < 18) return MIN_CHUNK;
  // one byte more than the data, so that zlib sees the end of the stream without a second piece
  const size = raw.readUInt32LE(raw.length - 4) + 1;
  // deflate packs at most 1032 bytes into one, so a larger announcement is a lie
  return Math.min(Math.max(size, MIN_CHUNK), MAX_CHUNK, raw.length * 1032);
}

/**
 * Parses and checks a whole body, then stores it: a batch with one bad line is refused whole (InfluxDB
 * would keep the good ones). The scanner is the server's, reused from body to body.
 */
export function writeBatch(
  bucket: Bucket,
  body: Buffer,
  precision: Precision,
  scanner: LineScanner,
  storePoints: boolean,
): WriteOutcome {
  const types = new BatchFieldTypes(bucket.fieldTypes);
  const kept: ParsedPoint[] = [];
  let count = 0;
  const errors = scanner.scan(body, precision, BigInt(Date.now()) * 1_000_000n, (line) => {
    count++;
    types.add(line);
    if (storePoints) kept.push(line.toPoint());
  });
  if (errors.length > 0) return { status: 400, message: errors.join('\n') };
  if (count === 0) return { status: 400, message: 'writing requires points' };
  if (types.conflict !== undefined) return { status: 422, message: `${types.conflict} dropped=${count}` };
  types.commit();
  store(bucket, kept);
  return { status: 204, lines: count };
}

/**
 * Field types seen in one write, checked against the bucket's: InfluxDB refuses a field whose type
 * differs from the one it already holds (422) and this fake refuses the whole batch for it.
 */
class BatchFieldTypes {
  /** the first conflict, worded as InfluxDB words it, without the dropped count */
  conflict: string | undefined;
  private readonly added = new Map<string, Map<string, FieldType>>();
  /**
   * The line before passed. Types only ever get added, so a line with the same measurement, field keys
   * and types passes too, without a look-up: most lines of a batch, which all look alike.
   */
  private previousPassed = false;

  constructor(private readonly stored: Map<string, Map<string, FieldType>>) {}

  add(line: ScannedLine): void {
    if (this.conflict !== undefined) return;
    if (line.sameShape && this.previousPassed) return;
    const stored = this.stored.get(line.measurement);
    let added = this.added.get(line.measurement);
    if (!added) {
      added = new Map();
      this.added.set(line.measurement, added);
    }
    // a key written twice on a line counts once, with its last type, as the point keeps it
    const fields = new Map<string, FieldType>();
    for (let position = 0; position < line.fieldCount; position++) {
      fields.set(line.fieldKeys[position] as string, line.fieldTypes[position] as FieldType);
    }
    for (const [key, type] of fields) {
      const existing = stored?.get(key) ?? added.get(key);
      if (existing === undefined) added.set(key, type);
      else if (existing !== type && this.conflict === undefined) {
        this.conflict =
          'failure writing points to database: partial write: field type conflict: ' +
          `input field "${key}" on measurement "${line.measurement}" is type ${type}, ` +
          `already exists as type ${existing}`;
      }
    }
    this.previousPassed = this.conflict === undefined;
  }

  commit(): void {
    for (const [measurement, added] of this.added) {
      const stored = this.stored.get(measurement) ?? new Map<string, FieldType>();
      for (const [key, type] of added) stored.set(key, type);
      this.stored.set(measurement, stored);
    }
  }
}
