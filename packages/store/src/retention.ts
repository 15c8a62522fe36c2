/**
 * RETAIN_DAYS in SQLite mode: production rows (telemetry samples, predictions, alerts, dead letters)
 * received before a cutoff are deleted in small steps, each its own short transaction, so that ingestion
 * never waits long. Labelled training samples are never deleted: they are the training set.
 */
import type Database from 'better-sqlite3';

interface PrunedTable {
  readonly table: string;
  /** which rows of the table may go, besides their age */
  readonly only: string;
}

const PRUNED: readonly PrunedTable[] = [
  { table: 'samples', only: "AND source = 'telemetry'" },
  { table: 'predictions', only: '' },
  { table: 'alerts', only: '' },
  { table: 'dead_letters', only: '' },
];

export interface PruneStep {
  readonly deleted: number;
  /** whether some table has more rows past the cutoff than one step looked at: step again soon */
  readonly more: boolean;
}

/**
 * Each table is walked in id order (the order rows arrived, so received_at rises with it) from a cursor
 * kept in `meta`: a step looks at no more than `maxRows` rows of each, whatever it deletes, and the walk
 * past millions of training samples resumes where it stopped, also after a restart.
 */
export class Retention {
  readonly #db: Database.Database;
  readonly #step: (cutoffMs: number, maxRows: number) => PruneStep;

  constructor(db: Database.Database) {
    this.#db = db;
    const getCursor = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    const setCursor = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    const tables = PRUNED.map(({ table, only }) => ({
      key: `retention_checked_id:${table}`,
      // The newest row always stays: were a table emptied, SQLite would count ids from 1 again, below
      // the cursor, and those rows would never be looked at.
      window: this.#db
        .prepare(
          `SELECT id, received_at FROM ${table} WHERE id > ? AND id < (SELECT max(id) FROM ${table}) ORDER BY id LIMIT ?`,
        )
        .raw(true),
      remove: this.#db.prepare(`DELETE FROM ${table} WHERE id > ? AND id <= ? ${only}`),
    }));
    this.#step = db.transaction((cutoffMs: number, maxRows: number) => {
      let deleted = 0;
      let more = false;
      for (const t of tables) {
        const from = (getCursor.get(t.key) as number | undefined) ?? 0;
        const rows = t.window.all(from, maxRows) as [number, number][];
        let to = from;
        let reachedCutoff = false;
        for (const [id, receivedAt] of rows) {
          if (receivedAt >= cutoffMs) {
            reachedCutoff = true;
            break;
          }
          to = id;
        }
        if (to === from) continue;
        deleted += t.remove.run(from, to).changes;
        setCursor.run(t.key, to);
        if (!reachedCutoff && rows.length === maxRows) more = true;
      }
      return { deleted, more };
    });
  }

  /** One step: deletes what is older than `cutoffMs` among the next `maxRows` rows of each table. */
  step(cutoffMs: number, maxRows: number): PruneStep {
    return this.#step(cutoffMs, maxRows);
  }
}
