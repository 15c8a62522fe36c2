/**
 * The reads a dashboard makes: one pump's samples and predictions over a range, the fleet's latest
 * predictions, alerts, open alarms, model versions, dead letters. Safe on a read-only connection beside
 * the writer (WAL), and on a version-1 file, which has no predictions or alerts: those reads answer empty
 * until a writer upgrades the file.
 */
import {
  type Alert,
  type AlertFilter,
  CHANNELS,
  type Channel,
  type ModelVersionSeen,
  type Prediction,
} from '@pdm/contract';
import type Database from 'better-sqlite3';
import { StoreError } from './errors.ts';
import {
  ALERT_SELECT,
  decodeAlert,
  decodePrediction,
  PREDICTION_SELECT,
  PREDICTION_SELECT_V2,
  PREDICTION_VERSION_JOINS,
  PREDICTION_VERSION_JOINS_V2,
} from './rows.ts';
import { V2_TABLES } from './schema.ts';
import { Statements } from './statements.ts';
import { whereOf } from './where.ts';
import type { ModelTaskName } from './writer.ts';

export interface DeadLetterSummary {
  readonly byReason: { readonly origin: string; readonly reason: string; readonly count: number }[];
  readonly recent: {
    readonly receivedAt: number;
    readonly origin: string;
    readonly topic: string | null;
    readonly reason: string;
    readonly detail: string;
  }[];
}

const ALERTS_WITH_VERSION = 'alerts a JOIN model_versions m ON m.id = a.model_version_id';

/**
 * Every distinct pump of a table, one index seek each (a skip scan over the (pump_id, …) index): with
 * 10,000 pumps and millions of rows it reads 10,000 index entries, not millions.
 */
function distinctPumps(table: string): string {
  return `WITH RECURSIVE pumps (pump_id) AS (
    SELECT (SELECT pump_id FROM ${table} ORDER BY pump_id LIMIT 1)
    UNION ALL
    SELECT (SELECT pump_id FROM ${table} WHERE pump_id > pumps.pump_id ORDER BY pump_id LIMIT 1)
    FROM pumps WHERE pumps.pump_id IS NOT NULL
  )`;
}

/** How predictions are read: a version-2 file (read-only, not yet upgraded) has no RUL columns. */
interface PredictionReads {
  readonly select: string;
  /** the predictions `p` with their versions */
  readonly from: string;
  /** the joins of `from` alone, after `p` */
  readonly joins: string;
}
const V3_READS: PredictionReads = {
  select: PREDICTION_SELECT,
  from: `predictions p ${PREDICTION_VERSION_JOINS}`,
  joins: PREDICTION_VERSION_JOINS,
};
const V2_READS: PredictionReads = {
  select: PREDICTION_SELECT_V2,
  from: `predictions p ${PREDICTION_VERSION_JOINS_V2}`,
  joins: PREDICTION_VERSION_JOINS_V2,
};

function latestPredictions({ select, joins }: PredictionReads): string {
  return `${distinctPumps('predictions')}
  SELECT ${select} FROM pumps
  JOIN predictions p ON p.id = (
    SELECT id FROM predictions WHERE pump_id = pumps.pump_id ORDER BY ts DESC LIMIT 1)
  ${joins}`;
}

/**
 * The latest of a pump's alerts among `kinds`; `recovered` closes both an alarm and a rul_low (the pump
 * is back to HEALTHY: repaired), while neither of those closes the other.
 */
const latestOf = (kinds: string) =>
  `(SELECT id FROM alerts WHERE pump_id = pumps.pump_id AND kind IN (${kinds}) ORDER BY ts DESC, id DESC LIMIT 1)`;

const OPEN_ALARMS = `${distinctPumps('alerts')}
  SELECT ${ALERT_SELECT} FROM pumps
  JOIN alerts a ON a.id IN (${latestOf("'alarm', 'recovered'")}, ${latestOf("'rul_low', 'recovered'")})
  JOIN model_versions m ON m.id = a.model_version_id
  WHERE a.kind <> 'recovered'
  ORDER BY a.ts DESC, a.id DESC`;

export class HistoryReads {
  readonly #db: Database.Database;
  #hasV2 = false;
  #hasV3 = false;
  readonly #statements: Statements;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#statements = new Statements(db);
  }

  count(table: 'predictions' | 'alerts', pumpId?: string): number {
    if (!this.#predictionTables()) return 0;
    if (pumpId === undefined) return this.#statement(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return this.#statement(`SELECT count(*) FROM ${table} WHERE pump_id = ?`).pluck().get(pumpId) as number;
  }

  latestPredictions(): Prediction[] {
    if (!this.#predictionTables()) return [];
    return this.#raw(latestPredictions(this.#predictionReads())).all().map(decodePrediction);
  }

  iterateSampleValues(
    pumpId: string,
    fromMs: number,
    toMs: number,
    channels: readonly Channel[],
  ): IterableIterator<number[]> {
    const unknown = channels.filter((c) => !(CHANNELS as readonly string[]).includes(c));
    // The names go into the SQL text: only the contract's channels may.
    if (unknown.length > 0) throw new StoreError('bad_request', `unknown channels: ${unknown.join(', ')}`);
    const columns = ['ts', ...channels].join(', ');
    return this.#raw(
      `SELECT ${columns} FROM samples WHERE pump_id = ? AND ts >= ? AND ts < ? ORDER BY ts`,
    ).iterate(pumpId, fromMs, toMs) as IterableIterator<number[]>;
  }

  *iteratePredictions(pumpId: string, fromMs: number, toMs: number): IterableIterator<Prediction> {
    if (!this.#predictionTables()) return;
    const { select, from } = this.#predictionReads();
    const rows = this.#raw(
      `SELECT ${select} FROM ${from} WHERE p.pump_id = ? AND p.ts >= ? AND p.ts < ? ORDER BY p.ts`,
    ).iterate(pumpId, fromMs, toMs) as IterableIterator<unknown[]>;
    for (const row of rows) yield decodePrediction(row);
  }

  lastPredictions(pumpId: string, beforeMs: number, limit: number): Prediction[] {
    if (!this.#predictionTables()) return [];
    const { select, from } = this.#predictionReads();
    return this.#raw(
      `SELECT ${select} FROM ${from} WHERE p.pump_id = ? AND p.ts < ? ORDER BY p.ts DESC LIMIT ?`,
    )
      .all(pumpId, beforeMs, limit)
      .map(decodePrediction);
  }

  alerts(filter: AlertFilter): Alert[] {
    if (!this.#predictionTables()) return [];
    const { where, params } = whereOf([
      filter.pumpId === undefined ? undefined : ['a.pump_id = ?', [filter.pumpId]],
      filter.kind === undefined ? undefined : ['a.kind = ?', [filter.kind]],
      filter.fromMs === undefined ? undefined : ['a.ts >= ?', [filter.fromMs]],
      filter.toMs === undefined ? undefined : ['a.ts < ?', [filter.toMs]],
    ]);
    return this.#raw(
      `SELECT ${ALERT_SELECT} FROM ${ALERTS_WITH_VERSION} ${where} ORDER BY a.ts DESC, a.id DESC LIMIT ?`,
    )
      .all(...params, filter.limit)
      .map(decodeAlert);
  }

  openAlarms(): Alert[] {
    if (!this.#predictionTables()) return [];
    return this.#raw(OPEN_ALARMS).all().map(decodeAlert);
  }

  /** The state model's versions (a version-2 file knows no others); `regression` for the RUL model's. */
  modelVersions(task: ModelTaskName = 'classification'): ModelVersionSeen[] {
    if (!this.#predictionTables()) return [];
    if (!this.#rulColumns()) return task === 'classification' ? this.#allVersions() : [];
    return this.#statement(
      'SELECT version, first_seen AS firstSeen, last_seen AS lastSeen FROM model_versions WHERE task = ? ORDER BY first_seen, id',
    ).all(task) as ModelVersionSeen[];
  }

  #allVersions(): ModelVersionSeen[] {
    return this.#statement(
      'SELECT version, first_seen AS firstSeen, last_seen AS lastSeen FROM model_versions ORDER BY first_seen, id',
    ).all() as ModelVersionSeen[];
  }

  deadLetterSummary(recent: number): DeadLetterSummary {
    const byReason = this.#statement(
      'SELECT origin, reason, count(*) AS count FROM dead_letters GROUP BY origin, reason ORDER BY count DESC, origin, reason',
    ).all() as DeadLetterSummary['byReason'];
    const latest = this.#statement(
      'SELECT received_at AS receivedAt, origin, topic, reason, detail FROM dead_letters ORDER BY id DESC LIMIT ?',
    ).all(recent) as DeadLetterSummary['recent'];
    return { byReason, recent: latest };
  }

  /** Whether the file has the predictions tables; asked again until it has, as a writer may upgrade it. */
  #predictionTables(): boolean {
    if (this.#hasV2) return true;
    const found = this.#db
      .prepare(
        `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (${V2_TABLES.map(() => '?').join(', ')})`,
      )
      .pluck()
      .get(...V2_TABLES) as number;
    this.#hasV2 = found === V2_TABLES.length;
    return this.#hasV2;
  }

  /** Whether the file has schema 3's RUL columns; asked again until it has, as a writer may upgrade it. */
  #rulColumns(): boolean {
    if (this.#hasV3) return true;
    this.#hasV3 =
      (this.#db
        .prepare("SELECT count(*) FROM pragma_table_info('predictions') WHERE name = 'rul_h'")
        .pluck()
        .get() as number) === 1;
    return this.#hasV3;
  }

  #predictionReads(): PredictionReads {
    return this.#rulColumns() ? V3_READS : V2_READS;
  }

  #statement(sql: string): Database.Statement {
    return this.#statements.get(sql);
  }

  /** A cached statement that returns rows as arrays (about twice as fast to build as objects). */
  #raw(sql: string): Database.Statement<unknown[], unknown[]> {
    return this.#statement(sql).raw(true) as Database.Statement<unknown[], unknown[]>;
  }
}
