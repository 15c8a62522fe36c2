/**
 * An append-only file of the writes the fake accepted, replayed when it starts again: what lets the
 * InfluxDB stand-in of the deployment test (deploy/test) keep its points in a volume across restarts.
 *
 * Each record is a header line `#fake-influx-journal <bucket, URI-encoded> <precision> <bytes>`, the body as
 * accepted (decompressed), and a newline. A record cut short by a crash is dropped at the next start,
 * as InfluxDB drops a torn WAL entry.
 */
import { closeSync, fdatasyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { isPrecision, type Precision } from './line-protocol.ts';

const MAGIC = '#fake-influx-journal';

export interface JournalRecord {
  readonly bucket: string;
  readonly precision: Precision;
  readonly body: Buffer;
}

export interface Journal {
  /** appends an accepted write, on disk (fdatasync) before it returns */
  append(record: JournalRecord): void;
  /** forgets every record */
  clear(): void;
  close(): void;
}

/** Opens (or creates) the journal, hands each complete record to `replay`, and drops a torn tail. */
export function openJournal(path: string, replay: (record: JournalRecord) => void): Journal {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    data = Buffer.alloc(0);
  }
  const complete = readRecords(data, replay);
  const fd = openSync(path, 'a+');
  if (complete < data.length) ftruncateSync(fd, complete);
  let closed = false;
  return {
    append({ bucket, precision, body }) {
      writeSync(fd, `${MAGIC} ${encodeURIComponent(bucket)} ${precision} ${body.length}\n`);
      writeSync(fd, body);
      writeSync(fd, '\n');
      fdatasyncSync(fd);
    },
    clear() {
      ftruncateSync(fd, 0);
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}

/** Replays the records of `data`; returns the length of its complete part. */
function readRecords(data: Buffer, replay: (record: JournalRecord) => void): number {
  let at = 0;
  while (at < data.length) {
    const eol = data.indexOf(0x0a, at);
    if (eol < 0) break;
    const header = data.toString('utf8', at, eol).split(' ');
    const [magic, bucket, precision, bytes] = header;
    const length = Number(bytes);
    if (
      magic !== MAGIC ||
      bucket === undefined ||
      precision === undefined ||
      !isPrecision(precision) ||
      !Number.isSafeInteger(length)
    ) {
      throw new Error(`fake InfluxDB journal: unreadable record header at byte ${at}`);
    }
    const end = eol + 1 + length;
    if (end + 1 > data.length) break;
    replay({ bucket: decodeURIComponent(bucket), precision, body: data.subarray(eol + 1, end) });
    at = end + 1;
  }
  return at;
}
