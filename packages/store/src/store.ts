/**
 * The embedded SQLite store (better-sqlite3, WAL mode). Acquisition writes samples, predictions, alerts
 * and dead letters in group-committed transactions; the export CLI and the dashboard read them back while
 * it writes; in InfluxDB mode the same file is the durable outbox the forwarder drains.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  Alert,
  AlertFilter,
  Channel,
  LabelledSample,
  ModelVersionSeen,
  Prediction,
  PumpState,
} from '@pdm/contract';
import Database from 'better-sqlite3';
import { StoreError } from './errors.ts';
import { type DeadLetterSummary, HistoryReads } from './history.ts';
import { OUTBOX_TABLES, Outbox, type OutboxBatch, type OutboxTable } from './outbox.ts';
import { type PruneStep, Retention } from './retention.ts';
import { SAMPLE_COLUMNS, SCHEMA_SQL, SCHEMA_VERSION, UPGRADE_FROM_V2 } from './schema.ts';
import { type SqlValue, whereOf } from './where.ts';
import {
  BatchWriter,
  type DeadLetter,
  type ModelTaskName,
  type WriteBatch,
  type WriteResult,
} from './writer.ts';

export interface SampleFilter {
  /** epoch ms, inclusive */
  readonly sinceMs?: number | undefined;
  /** epoch ms, exclusive */
  readonly untilMs?: number | undefined;
  readonly pumps?: readonly string[] | undefined;
  /** only samples with a ground truth */
  readonly labelledOnly?: boolean | undefined;
}

/** One sample from iterateValues(): the values of SAMPLE_COLUMNS, in that order. */
export type SampleValues = readonly (string | number | null)[];

/** fsync on every commit (survives power loss) or only at checkpoints (survives a process crash). */
export type Durability = 'FULL' | 'NORMAL';

export interface OpenOptions {
  readonly readonly?: boolean;
  readonly durability?: Durability;
}

export class SampleStore {
  readonly path: string;
  readonly #db: Database.Database;
  /** absent on a read-only store */
  readonly #writer: BatchWriter | undefined;
  readonly #history: HistoryReads;
  #outbox: Outbox | undefined;
  #retention: Retention | undefined;

  private constructor(path: string, db: Database.Database, readonly: boolean) {
    this.path = path;
    this.#db = db;
    this.#writer = readonly ? undefined : new BatchWriter(db);
    this.#history = new HistoryReads(db);
  }

  /**
   * Opens (creating it for writing, if absent) the store at `path`. Opened for writing, a file of an
   * older schema is upgraded in place; opened read-only, it is read as it is.
   */
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
        db.transaction(() => {
          if (version === 2) db.exec(UPGRADE_FROM_V2);
          db.exec(SCHEMA_SQL);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
      } else if (version === 0) {
        throw new StoreError('not_a_store', `${path} is not a pump-pdm store (no schema)`);
      }
      return new SampleStore(path, db, readonly);
    } catch (err) {
      db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError('not_a_store', `${path} is not a usable SQLite store: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** the schema version of the file: older than SCHEMA_VERSION for a file no current writer has opened yet */
  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  /**
   * Writes a batch in one transaction: when it returns, all of it is on disk.
   * A sample is identified by pump_id + ts: one whose key is stored already is a redelivery when it
   * equals the stored sample (source and values), and a conflict otherwise, dead-lettered with reason
   * 'conflict' in the same transaction. A prediction is identified by pump_id + ts and an alert by
   * pump_id + ts + kind: the first stored stays, and a later copy counts as a duplicate (inference may
   * predict a sample again after a crash, with another latency).
   */
  write(batch: WriteBatch, now = Date.now()): WriteResult {
    if (!this.#writer) throw new StoreError('readonly', `${this.path} is open read-only`);
    return this.#writer.write(batch, now);
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

  /** Stored predictions (of one pump); 0 on a version-1 file. A full count: for tests and tools. */
  countPredictions(pumpId?: string): number {
    return this.#history.count('predictions', pumpId);
  }

  /** Stored alerts (of one pump); 0 on a version-1 file. A full count: for tests and tools. */
  countAlerts(pumpId?: string): number {
    return this.#history.count('alerts', pumpId);
  }

  // The dashboard's reads. On a version-1 file (no predictions or alerts yet) they answer empty. An
  // iterator holds the connection until it is finished or returned: read it to the end before the next
  // call on this store.

  /** The last prediction (by device time) of every pump that has one, by pump id. */
  latestPredictions(): Prediction[] {
    return this.#history.latestPredictions();
  }

  /**
   * One pump's samples in [fromMs, toMs), ascending by device time, each as `[ts, ...channels]` in the
   * order of `channels` (a StoreError 'bad_request' for a name not in CHANNELS).
   */
  iterateSampleValues(
    pumpId: string,
    fromMs: number,
    toMs: number,
    channels: readonly Channel[],
  ): IterableIterator<number[]> {
    return this.#history.iterateSampleValues(pumpId, fromMs, toMs, channels);
  }

  /** One pump's predictions in [fromMs, toMs), ascending by device time. */
  iteratePredictions(pumpId: string, fromMs: number, toMs: number): IterableIterator<Prediction> {
    return this.#history.iteratePredictions(pumpId, fromMs, toMs);
  }

  /** One pump's last `limit` predictions before `beforeMs`, newest first. */
  lastPredictions(pumpId: string, beforeMs: number, limit: number): Prediction[] {
    return this.#history.lastPredictions(pumpId, beforeMs, limit);
  }

  /** Alerts matching the filter, newest first (by device time, then arrival). */
  alerts(filter: AlertFilter): Alert[] {
    return this.#history.alerts(filter);
  }

  /**
   * What is open, newest first: for each pump, its latest alarm unless a recovery came after it, and its
   * latest rul_low unless a recovery came after it. A rul_low neither opens nor closes an alarm.
   */
  openAlarms(): Alert[] {
    return this.#history.openAlarms();
  }

  /**
   * Versions of the state model (or with `regression`, of the RUL model) that made the stored predictions
   * and alerts, oldest first.
   */
  modelVersions(task?: ModelTaskName): ModelVersionSeen[] {
    return this.#history.modelVersions(task);
  }

  /** Dead letters counted by origin and reason (most first), and the `recent` newest ones. */
  deadLetterSummary(recent: number): DeadLetterSummary {
    return this.#history.deadLetterSummary(recent);
  }

  // The InfluxDB outbox: rows with an id above their table's cursor are not yet forwarded.

  /** Rows waiting to be forwarded: in one table, or in all of them. */
  outboxBacklog(table?: OutboxTable): number {
    const outbox = this.#outboxTables();
    if (table) return outbox.backlog(table);
    return OUTBOX_TABLES.reduce((sum, t) => sum + outbox.backlog(t), 0);
  }

  /**
   * A table's next rows to forward, oldest first: after its cursor, or after `afterId` when the caller is
   * already preparing the batch behind one in flight. A row stored with its line comes as that line; one
   * stored without (before STORE=influxdb was set) comes as its record, for the caller to encode.
   */
  nextOutboxBatch(table: OutboxTable, limit: number, afterId?: number): OutboxBatch | undefined {
    const outbox = this.#outboxTables();
    return outbox.nextBatch(table, limit, afterId ?? outbox.cursor(table));
  }

  /** Marks a table's rows up to `lastId` forwarded; with a dead letter when the server refused them. */
  markForwarded(table: OutboxTable, lastId: number, rejected?: DeadLetter): void {
    const outbox = this.#outboxTables();
    this.#db.transaction(() => {
      if (rejected) this.write({ deadLetters: [rejected] });
      outbox.setCursor(table, lastId);
    })();
  }

  /**
   * Deletes forwarded rows received before `beforeMs`, of one outbox table or of all; InfluxDB holds
   * them now.
   */
  pruneForwarded(beforeMs: number, table?: OutboxTable): number {
    const outbox = this.#outboxTables();
    const tables: readonly OutboxTable[] = table ? [table] : OUTBOX_TABLES;
    return this.#db.transaction(() =>
      tables.reduce((sum, t) => sum + outbox.pruneForwarded(t, beforeMs), 0),
    )();
  }

  /**
   * One bounded step of RETAIN_DAYS: deletes telemetry samples, predictions, alerts and dead letters
   * received before `cutoffMs`, looking at no more than `maxRows` rows of each table. Labelled training
   * samples stay. `more` says whether to step again soon.
   */
  pruneExpired(cutoffMs: number, maxRows: number): PruneStep {
    if (!this.#writer) throw new StoreError('readonly', `${this.path} is open read-only`);
    this.#retention ??= new Retention(this.#db);
    return this.#retention.step(cutoffMs, maxRows);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #outboxTables(): Outbox {
    this.#outbox ??= new Outbox(this.#db);
    return this.#outbox;
  }
}

function whereClause(filter: SampleFilter): { where: string; params: SqlValue[] } {
  const pumps = filter.pumps ?? [];
  return whereOf([
    filter.sinceMs === undefined ? undefined : ['ts >= ?', [filter.sinceMs]],
    filter.untilMs === undefined ? undefined : ['ts < ?', [filter.untilMs]],
    pumps.length === 0 ? undefined : [`pump_id IN (${pumps.map(() => '?').join(', ')})`, pumps],
    filter.labelledOnly ? ['state IS NOT NULL', []] : undefined,
  ]);
}
