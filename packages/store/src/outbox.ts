/**
 * The InfluxDB outbox: in InfluxDB mode every stored sample, prediction and alert waits in its table
 * until the forwarder has it accepted. Each table has its own cursor in `meta`: the rows above it are not
 * yet forwarded.
 */
import type { Alert, LabelledSample, Prediction } from '@pdm/contract';
import type Database from 'better-sqlite3';
import {
  ALERT_SELECT,
  decodeAlert,
  decodePrediction,
  PREDICTION_SELECT,
  PREDICTIONS_WITH_VERSIONS,
} from './rows.ts';
import { SAMPLE_COLUMNS } from './schema.ts';
import { Statements } from './statements.ts';

export const OUTBOX_TABLES = ['samples', 'predictions', 'alerts'] as const;
export type OutboxTable = (typeof OUTBOX_TABLES)[number];

/**
 * Each table's cursor, the key of its row in `meta`: rows with a higher id are not forwarded yet (the
 * deployment test reads it to know when a training run is all in InfluxDB). The samples' key is the one
 * version 1 used, so an outbox from before keeps its place.
 */
export const OUTBOX_CURSOR_KEYS: Readonly<Record<OutboxTable, string>> = {
  samples: 'outbox_forwarded_id',
  predictions: 'outbox_forwarded_id:predictions',
  alerts: 'outbox_forwarded_id:alerts',
};

/**
 * An outbox entry: its line when it was stored with one, else the record to encode. A sample comes with
 * every field present in SAMPLE_COLUMNS order (one shape for all) and no ground truth as undefined.
 */
export type OutboxRow =
  | { readonly line: string }
  | { readonly sample: LabelledSample }
  | { readonly prediction: Prediction }
  | { readonly alert: Alert };

export interface OutboxBatch {
  /** the last row id in the batch: mark it forwarded after a 2xx */
  readonly lastId: number;
  readonly rows: OutboxRow[];
}

/** How a table's rows stored without a line are read back, by id, as records to encode. */
const RECORDS_BY_ID: Readonly<Record<OutboxTable, (ids: string) => string>> = {
  samples: (ids) => `SELECT id, ${SAMPLE_COLUMNS.join(', ')} FROM samples WHERE id IN (${ids})`,
  predictions: (ids) =>
    `SELECT p.id, ${PREDICTION_SELECT} FROM ${PREDICTIONS_WITH_VERSIONS} WHERE p.id IN (${ids})`,
  alerts: (ids) =>
    `SELECT a.id, ${ALERT_SELECT} FROM alerts a JOIN model_versions m ON m.id = a.model_version_id WHERE a.id IN (${ids})`,
};

const DECODE: Readonly<Record<OutboxTable, (values: unknown[]) => OutboxRow>> = {
  samples: (values) => ({ sample: outboxSample(values) }),
  predictions: (values) => ({ prediction: decodePrediction(values) }),
  alerts: (values) => ({ alert: decodeAlert(values) }),
};

export class Outbox {
  readonly #db: Database.Database;
  readonly #statements: Statements;
  readonly #cursorOf: Database.Statement;
  readonly #setCursor: Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#statements = new Statements(db);
    this.#cursorOf = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    this.#setCursor = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
  }

  cursor(table: OutboxTable): number {
    return (this.#cursorOf.get(OUTBOX_CURSOR_KEYS[table]) as number | undefined) ?? 0;
  }

  setCursor(table: OutboxTable, lastId: number): void {
    this.#setCursor.run(OUTBOX_CURSOR_KEYS[table], lastId);
  }

  backlog(table: OutboxTable): number {
    const max = this.#statements.get(`SELECT coalesce(max(id), 0) FROM ${table}`).pluck().get() as number;
    return Math.max(0, max - this.cursor(table));
  }

  nextBatch(table: OutboxTable, limit: number, afterId: number): OutboxBatch | undefined {
    const found = this.#statements
      .get(`SELECT id, outbox_line FROM ${table} WHERE id > ? ORDER BY id LIMIT ?`)
      .raw(true)
      .all(afterId, limit) as [number, string | null][];
    const last = found.at(-1);
    if (!last) return undefined;
    const missing = found.filter(([, line]) => line === null).map(([id]) => id);
    const records = missing.length > 0 ? this.#recordsById(table, missing) : undefined;
    const rows = found.map(
      ([id, line]): OutboxRow => (line === null ? (records?.get(id) as OutboxRow) : { line }),
    );
    return { lastId: last[0], rows };
  }

  /**
   * Deletes forwarded rows received before `beforeMs`: InfluxDB holds them now. The row at the cursor
   * stays, so that a table never empties: SQLite would give the next row id 1 again, below the cursor.
   */
  pruneForwarded(table: OutboxTable, beforeMs: number): number {
    return this.#statements
      .get(`DELETE FROM ${table} WHERE id < ? AND received_at < ?`)
      .run(this.cursor(table), beforeMs).changes;
  }

  #recordsById(table: OutboxTable, ids: readonly number[]): Map<number, OutboxRow> {
    const rows = this.#db
      .prepare(RECORDS_BY_ID[table](ids.map(() => '?').join(', ')))
      .raw(true)
      .all(...ids) as unknown[][];
    return new Map(rows.map((r) => [r[0] as number, DECODE[table](r.slice(1))]));
  }
}

/** A raw sample row (SAMPLE_COLUMNS) as a sample, no ground truth as undefined. */
function outboxSample(r: unknown[]): LabelledSample {
  const sample: Record<string, unknown> = {};
  for (let i = 0; i < SAMPLE_COLUMNS.length; i++) sample[SAMPLE_COLUMNS[i] as string] = r[i] ?? undefined;
  return sample as LabelledSample;
}
