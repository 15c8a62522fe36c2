/**
 * The embedded SQLite store (better-sqlite3, WAL mode). Acquisition writes samples and dead letters
 * in group-committed transactions; the export CLI reads them back while it writes; in InfluxDB mode the
 * same file is the durable outbox the forwarder drains.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type LabelledSample, type PumpState, SAMPLE_FIELDS } from '@pdm/contract';
import Database from 'better-sqlite3';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';

/** The topic a sample came on: labelled from the training topic, raw from the telemetry topic. */
export type SampleSource = 'training' | 'telemetry';

export interface NewSample {
  readonly sample: LabelledSample;
  readonly source: SampleSource;
  /** the line the InfluxDB forwarder will send, when there is one */
  readonly outboxLine?: string | undefined;
  /** the topic and payload it came in: its dead letter keeps them if it conflicts with a stored sample */
  readonly topic?: string | undefined;
  readonly payload?: Buffer | undefined;
}

/** Bytes of a payload kept in its dead letter: enough to see what it was. */
export const DEAD_LETTER_PAYLOAD_BYTES = 4096;

/**
 * Why a sample whose key (pump_id + ts) is already stored was not a mere redelivery: it came on the
 * other topic (a labelled training sample after raw telemetry of the same pump and time, or the other
 * way round), or on the same one with other values.
 */
export const CONFLICT_KINDS = ['other_source', 'other_values'] as const;
export type ConflictKind = (typeof CONFLICT_KINDS)[number];

export interface SampleConflict {
  readonly kind: ConflictKind;
  readonly sample: NewSample;
  /** what differs, for the log and the dead letter */
  readonly detail: string;
}

export interface WriteResult {
  /** samples stored */
  readonly inserted: number;
  /** samples identical to the stored one with their key: redeliveries */
  readonly duplicates: number;
  /** samples not stored because another one with their key was; each is in the dead letters */
  readonly conflicts: readonly SampleConflict[];
}

export interface DeadLetter {
  readonly origin: 'mqtt' | 'influxdb';
  readonly topic: string | null;
  readonly reason: string;
  readonly detail: string;
  readonly payload: Buffer;
  readonly payloadBytes: number;
}

/** fsync on every commit (survives power loss) or only at checkpoints (survives a process crash). */
export type Durability = 'FULL' | 'NORMAL';

export type StoreErrorCode = 'not_found' | 'not_a_store' | 'newer_schema' | 'io';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export interface SampleFilter {
  /** epoch ms, inclusive */
  readonly sinceMs?: number | undefined;
  /** epoch ms, exclusive */
  readonly untilMs?: number | undefined;
  readonly pumps?: readonly string[] | undefined;
  /** only samples with a ground truth */
  readonly labelledOnly?: boolean | undefined;
}

/**
 * An outbox entry: its line when it was stored with one, else the sample to encode, with every field
 * present in SAMPLE_COLUMNS order (one shape for all) and no ground truth as undefined rather than null.
 */
export type OutboxRow = { readonly line: string } | { readonly sample: LabelledSample };

export interface OutboxBatch {
  /** the last sample id in the batch: mark it forwarded after a 2xx */
  readonly lastId: number;
  readonly rows: OutboxRow[];
}

/** The columns of a stored sample, in the order iterateValues() gives their values: the sample's fields. */
export const SAMPLE_COLUMNS = SAMPLE_FIELDS;

/**
 * Runs the insert for one sample: its fields in SAMPLE_COLUMNS order (absent ground truth as null), then
 * source, received_at and outbox_line. Compiled once from the column list into one call with plain
 * property reads, as it would be written by hand: a loop over the names costs a keyed lookup a field,
 * which measured about 15 % of the CPU of an insert. The names come from SAMPLE_COLUMNS, never from input.
 */
const insertSample = new Function(
  'statement',
  's',
  'source',
  'now',
  'line',
  `return statement.run(${SAMPLE_COLUMNS.map((column) => `s.${column} ?? null`).join(', ')}, source, now, line);`,
) as (
  statement: Database.Statement,
  sample: LabelledSample,
  source: SampleSource,
  now: number,
  line: string | null,
) => Database.RunResult;

/** One sample from iterateValues(): the values of SAMPLE_COLUMNS, in that order. */
export type SampleValues = readonly (string | number | null)[];

const OUTBOX_CURSOR = 'outbox_forwarded_id';

/** What a redelivery must repeat exactly: everything but the key, then the topic kind (last). */
const COMPARED_COLUMNS = [...SAMPLE_COLUMNS.filter((c) => c !== 'pump_id' && c !== 'ts'), 'source'] as const;

export interface OpenOptions {
  readonly readonly?: boolean;
  readonly durability?: Durability;
}

export class SampleStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #insertSample: Database.Statement;
  readonly #insertDeadLetter: Database.Statement;
  readonly #storedValues: Database.Statement;
  #outboxLines: Database.Statement | undefined;
  readonly #writeBatch: (
    samples: readonly NewSample[],
    deadLetters: readonly DeadLetter[],
    now: number,
  ) => WriteResult;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
    const columns = [...SAMPLE_COLUMNS, 'source', 'received_at', 'outbox_line'];
    this.#insertSample = db.prepare(
      `INSERT OR IGNORE INTO samples (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    );
    this.#insertDeadLetter = db.prepare(
      'INSERT INTO dead_letters (received_at, origin, topic, reason, detail, payload, payload_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#storedValues = db
      .prepare(`SELECT ${COMPARED_COLUMNS.join(', ')} FROM samples WHERE pump_id = ? AND ts = ?`)
      .raw(true);
    this.#writeBatch = db.transaction(
      (samples: readonly NewSample[], deadLetters: readonly DeadLetter[], now: number) => {
        let inserted = 0;
        let duplicates = 0;
        const conflicts: SampleConflict[] = [];
        for (const item of samples) {
          const { sample: s, source, outboxLine } = item;
          const { changes } = insertSample(this.#insertSample, s, source, now, outboxLine ?? null);
          if (changes === 1) {
            inserted += 1;
            continue;
          }
          // Only a sample the insert ignored is compared: the common path stays one statement.
          const conflict = this.#conflictOf(item);
          if (!conflict) {
            duplicates += 1;
            continue;
          }
          conflicts.push(conflict);
          const payload = item.payload ?? Buffer.from(JSON.stringify(s));
          this.#insertDeadLetter.run(
            now,
            'mqtt',
            item.topic ?? null,
            'conflict',
            conflict.detail,
            payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES),
            payload.length,
          );
        }
        for (const d of deadLetters) {
          this.#insertDeadLetter.run(now, d.origin, d.topic, d.reason, d.detail, d.payload, d.payloadBytes);
        }
        return { inserted, duplicates, conflicts };
      },
    );
  }

  /** Opens (creating it for writing, if absent) the store at `path`. */
  static open(path: string, { readonly = false, durability = 'FULL' }: OpenOptions = {}): SampleStore {
    if (readonly && !existsSync(path)) throw new StoreError('not_found', `no SQLite store at ${path}`);
    let db: Database.Database;
    try {
      if (!readonly) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { readonly, fileMustExist: readonly });
    } catch (err) {
      throw new StoreError('io', `cannot open SQLite store at ${path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      // Readers see a consistent snapshot while acquisition keeps writing.
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${durability}`);
      }
      db.pragma('busy_timeout = 5000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new StoreError(
          'newer_schema',
          `${path} has schema ${version}; this version reads up to ${SCHEMA_VERSION}`,
        );
      }
      if (!readonly) {
        db.exec(SCHEMA_SQL);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      } else if (version === 0) {
        throw new StoreError('not_a_store', `${path} is not a pump-pdm store (no schema)`);
      }
      return new SampleStore(path, db);
    } catch (err) {
      db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError('not_a_store', `${path} is not a usable SQLite store: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /**
   * Writes samples and dead letters in one transaction: when it returns, all of it is on disk.
   * A sample is identified by pump_id + ts: one whose key is stored already is a redelivery when it
   * equals the stored sample (source and values), and a conflict otherwise, dead-lettered with reason
   * 'conflict' in the same transaction.
   */
  write(
    samples: readonly NewSample[],
    deadLetters: readonly DeadLetter[] = [],
    now = Date.now(),
  ): WriteResult {
    return this.#writeBatch(samples, deadLetters, now);
  }

  /** How a sample differs from the stored one with its key, if it does. */
  #conflictOf(item: NewSample): SampleConflict | undefined {
    const s = item.sample;
    const stored = this.#storedValues.get(s.pump_id, s.ts) as (string | number | null)[] | undefined;
    if (!stored) return undefined;
    const at = `${s.pump_id} at ${new Date(s.ts).toISOString()}`;
    const storedSource = stored[COMPARED_COLUMNS.length - 1];
    if (storedSource !== item.source) {
      return {
        kind: 'other_source',
        sample: item,
        detail: `${at}: stored from ${storedSource}, this copy from ${item.source}`,
      };
    }
    const differences: string[] = [];
    for (let i = 0; i < COMPARED_COLUMNS.length - 1; i++) {
      const column = COMPARED_COLUMNS[i] as (typeof COMPARED_COLUMNS)[number];
      const value = (s as Record<string, unknown>)[column] ?? null;
      if (value !== stored[i]) differences.push(`${column} ${stored[i]} → ${value}`);
    }
    if (differences.length === 0) return undefined;
    return {
      kind: 'other_values',
      sample: item,
      detail: `${at}: differs from the stored sample in ${differences.join(', ')}`.slice(0, 500),
    };
  }

  count(filter: SampleFilter = {}): number {
    const { where, params } = whereClause(filter);
    return (this.#db.prepare(`SELECT count(*) AS n FROM samples ${where}`).get(...params) as { n: number }).n;
  }

  /** Labelled samples per state within the filter. */
  countByState(filter: SampleFilter = {}): Map<PumpState, number> {
    const { where, params } = whereClause({ ...filter, labelledOnly: true });
    const rows = this.#db
      .prepare(`SELECT state, count(*) AS n FROM samples ${where} GROUP BY state`)
      .all(...params) as { state: PumpState; n: number }[];
    return new Map(rows.map((r) => [r.state, r.n]));
  }

  /** Streams samples in the order features need: by pump, then device time. Constant memory. */
  *iterate(filter: SampleFilter = {}): IterableIterator<LabelledSample> {
    const { where, params } = whereClause(filter);
    yield* this.#db
      .prepare(`SELECT ${SAMPLE_COLUMNS.join(', ')} FROM samples ${where} ORDER BY pump_id, ts`)
      .iterate(...params) as IterableIterator<LabelledSample>;
  }

  /**
   * iterate() with each sample as an array of SAMPLE_COLUMNS values. better-sqlite3 builds an array
   * about twice as fast as an object with named properties: most of the cost of exporting a million rows.
   */
  iterateValues(filter: SampleFilter = {}): IterableIterator<SampleValues> {
    const { where, params } = whereClause(filter);
    return this.#db
      .prepare(`SELECT ${SAMPLE_COLUMNS.join(', ')} FROM samples ${where} ORDER BY pump_id, ts`)
      .raw()
      .iterate(...params) as IterableIterator<SampleValues>;
  }

  deadLetters(limit = 1000): (DeadLetter & { id: number; receivedAt: number })[] {
    return (
      this.#db
        .prepare(
          'SELECT id, received_at AS receivedAt, origin, topic, reason, detail, payload, payload_bytes AS payloadBytes FROM dead_letters ORDER BY id LIMIT ?',
        )
        .all(limit) as (DeadLetter & { id: number; receivedAt: number })[]
    ).map((d) => ({ ...d, payload: Buffer.from(d.payload) }));
  }

  // The InfluxDB outbox: samples with an id above the cursor are not yet forwarded.

  outboxBacklog(): number {
    const { max } = this.#db.prepare('SELECT coalesce(max(id), 0) AS max FROM samples').get() as {
      max: number;
    };
    return Math.max(0, max - this.#cursor());
  }

  /**
   * The next samples to forward, oldest first: after the cursor, or after `afterId` when the caller is
   * already preparing the batch behind one in flight. A sample stored with its line comes as that line;
   * one stored without (before STORE=influxdb was set) comes as a sample, one object literal of a fixed
   * shape with no ground truth as `undefined`, for the caller to encode.
   */
  nextOutboxBatch(limit: number, afterId = this.#cursor()): OutboxBatch | undefined {
    this.#outboxLines ??= this.#db
      .prepare('SELECT id, outbox_line FROM samples WHERE id > ? ORDER BY id LIMIT ?')
      .raw(true);
    const found = this.#outboxLines.all(afterId, limit) as [number, string | null][];
    const last = found.at(-1);
    if (!last) return undefined;
    const missing = found.filter(([, line]) => line === null).map(([id]) => id);
    const samples = missing.length > 0 ? this.#samplesById(missing) : undefined;
    const rows = found.map(
      ([id, line]): OutboxRow => (line === null ? { sample: samples?.get(id) as LabelledSample } : { line }),
    );
    return { lastId: last[0], rows };
  }

  #samplesById(ids: readonly number[]): Map<number, LabelledSample> {
    const rows = this.#db
      .prepare(
        `SELECT id, ${SAMPLE_COLUMNS.join(', ')} FROM samples WHERE id IN (${ids.map(() => '?').join(', ')})`,
      )
      .raw(true)
      .all(...ids) as (number | string | null)[][];
    return new Map(rows.map((r) => [r[0] as number, outboxSample(r)]));
  }

  /** Marks every sample up to `lastId` forwarded; with a dead letter when the server refused them. */
  markForwarded(lastId: number, rejected?: DeadLetter): void {
    this.#db.transaction(() => {
      if (rejected) this.write([], [rejected]);
      this.#db
        .prepare(
          'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        )
        .run(OUTBOX_CURSOR, lastId);
    })();
  }

  /** Deletes forwarded samples received before `beforeMs`; InfluxDB holds them now. */
  pruneForwarded(beforeMs: number): number {
    return this.#db
      .prepare('DELETE FROM samples WHERE id <= ? AND received_at < ?')
      .run(this.#cursor(), beforeMs).changes;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #cursor(): number {
    const row = this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(OUTBOX_CURSOR) as
      | { value: number }
      | undefined;
    return row?.value ?? 0;
  }
}

function whereClause(filter: SampleFilter): { where: string; params: (string | number)[] } {
  const conditions: string[] = [];
  const params: (string | number)[] = [];
  if (filter.sinceMs !== undefined) {
    conditions.push('ts >= ?');
    params.push(filter.sinceMs);
  }
  if (filter.untilMs !== undefined) {
    conditions.push('ts < ?');
    params.push(filter.untilMs);
  }
  if (filter.pumps && filter.pumps.length > 0) {
    conditions.push(`pump_id IN (${filter.pumps.map(() => '?').join(', ')})`);
    params.push(...filter.pumps);
  }
  if (filter.labelledOnly) conditions.push('state IS NOT NULL');
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/** A raw outbox row (id, then SAMPLE_COLUMNS) as a sample. */
function outboxSample(r: (number | string | null)[]): LabelledSample {
  const sample: Record<string, unknown> = {};
  for (let i = 0; i < SAMPLE_COLUMNS.length; i++) sample[SAMPLE_COLUMNS[i] as string] = r[i + 1] ?? undefined;
  return sample as LabelledSample;
}
