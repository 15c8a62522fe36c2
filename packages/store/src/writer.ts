/**
 * The store's one write path: samples, predictions, alerts and dead letters of a batch in one
 * transaction, so one fsync covers whatever the bus delivered meanwhile.
 */
import type { Alert, LabelledSample, Prediction } from '@pdm/contract';
import type Database from 'better-sqlite3';
import { ALERT_INSERT_COLUMNS, alertParams, PREDICTION_INSERT_COLUMNS, predictionParams } from './rows.ts';
import { SAMPLE_COLUMNS } from './schema.ts';

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

export interface NewPrediction {
  readonly prediction: Prediction;
  readonly outboxLine?: string | undefined;
}

export interface NewAlert {
  readonly alert: Alert;
  readonly outboxLine?: string | undefined;
}

export interface DeadLetter {
  readonly origin: 'mqtt' | 'influxdb';
  readonly topic: string | null;
  readonly reason: string;
  readonly detail: string;
  readonly payload: Buffer;
  readonly payloadBytes: number;
}

/** What one transaction writes; every part may be absent or empty. */
export interface WriteBatch {
  readonly samples?: readonly NewSample[] | undefined;
  readonly predictions?: readonly NewPrediction[] | undefined;
  readonly alerts?: readonly NewAlert[] | undefined;
  readonly deadLetters?: readonly DeadLetter[] | undefined;
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

export interface SampleCounts {
  /** samples stored */
  readonly inserted: number;
  /** samples identical to the stored one with their key: redeliveries */
  readonly duplicates: number;
  /** samples not stored because another one with their key was; each is in the dead letters */
  readonly conflicts: readonly SampleConflict[];
}

export interface RecordCounts {
  readonly inserted: number;
  /** copies of a stored key (pump and time; for alerts also kind): not stored, the first one stays */
  readonly duplicates: number;
}

export interface WriteResult {
  readonly samples: SampleCounts;
  readonly predictions: RecordCounts;
  readonly alerts: RecordCounts;
  readonly deadLetters: number;
}

const NO_RECORDS: RecordCounts = Object.freeze({ inserted: 0, duplicates: 0 });

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

/** What a redelivery must repeat exactly: everything but the key, then the topic kind (last). */
const COMPARED_COLUMNS = [...SAMPLE_COLUMNS.filter((c) => c !== 'pump_id' && c !== 'ts'), 'source'] as const;

/**
 * An insert that skips a row whose key is stored already. `OR IGNORE` would also skip a row that breaks
 * NOT NULL, silently; `ON CONFLICT DO NOTHING` skips only the duplicate key.
 */
function insertInto(table: string, columns: readonly string[]): string {
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT DO NOTHING`;
}

/**
 * The model card's task (@pdm/forest's MODEL_TASKS), as model_versions.task keeps it: the state model
 * classifies, the RUL model regresses.
 */
export type ModelTaskName = 'classification' | 'regression';

/** Device time range of the rows stored with one model version in the batch being written. */
interface VersionSeen {
  readonly id: number;
  first: number;
  last: number;
}

export class BatchWriter {
  readonly #insertSample: Database.Statement;
  readonly #insertPrediction: Database.Statement;
  readonly #insertAlert: Database.Statement;
  readonly #insertDeadLetter: Database.Statement;
  readonly #storedValues: Database.Statement;
  readonly #insertVersion: Database.Statement;
  readonly #versionIdOf: Database.Statement;
  readonly #widenVersion: Database.Statement;
  /** model version → id; cleared when a transaction fails, as its new rows are gone */
  readonly #versionIds = new Map<string, number>();
  readonly #transaction: (batch: WriteBatch, now: number) => WriteResult;

  constructor(db: Database.Database) {
    const sampleColumns = [...SAMPLE_COLUMNS, 'source', 'received_at', 'outbox_line'];
    this.#insertSample = db.prepare(
      `INSERT OR IGNORE INTO samples (${sampleColumns.join(', ')}) VALUES (${sampleColumns.map(() => '?').join(', ')})`,
    );
    this.#insertPrediction = db.prepare(insertInto('predictions', PREDICTION_INSERT_COLUMNS));
    this.#insertAlert = db.prepare(insertInto('alerts', ALERT_INSERT_COLUMNS));
    this.#insertDeadLetter = db.prepare(
      'INSERT INTO dead_letters (received_at, origin, topic, reason, detail, payload, payload_bytes) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#storedValues = db
      .prepare(`SELECT ${COMPARED_COLUMNS.join(', ')} FROM samples WHERE pump_id = ? AND ts = ?`)
      .raw(true);
    this.#insertVersion = db.prepare(
      'INSERT INTO model_versions (version, first_seen, last_seen, task) VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING',
    );
    this.#versionIdOf = db.prepare('SELECT id FROM model_versions WHERE version = ?').pluck();
    this.#widenVersion = db.prepare(
      'UPDATE model_versions SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE id = ?',
    );
    this.#transaction = db.transaction((batch: WriteBatch, now: number) => {
      const samples = batch.samples?.length ? this.#writeSamples(batch.samples, now) : undefined;
      const seen = new Map<string, VersionSeen>();
      const predictions = batch.predictions?.length
        ? this.#writePredictions(batch.predictions, now, seen)
        : NO_RECORDS;
      const alerts = batch.alerts?.length ? this.#writeAlerts(batch.alerts, now, seen) : NO_RECORDS;
      for (const v of seen.values()) if (v.first <= v.last) this.#widenVersion.run(v.first, v.last, v.id);
      const deadLetters = batch.deadLetters ?? [];
      for (const d of deadLetters) {
        this.#insertDeadLetter.run(now, d.origin, d.topic, d.reason, d.detail, d.payload, d.payloadBytes);
      }
      return {
        samples: samples ?? { inserted: 0, duplicates: 0, conflicts: [] },
        predictions,
        alerts,
        deadLetters: deadLetters.length,
      };
    });
  }

  write(batch: WriteBatch, now: number): WriteResult {
    try {
      return this.#transaction(batch, now);
    } catch (err) {
      this.#versionIds.clear();
      throw err;
    }
  }

  #writeSamples(samples: readonly NewSample[], now: number): SampleCounts {
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
    return { inserted, duplicates, conflicts };
  }

  #writePredictions(
    predictions: readonly NewPrediction[],
    now: number,
    seen: Map<string, VersionSeen>,
  ): RecordCounts {
    let inserted = 0;
    for (const { prediction: p, outboxLine } of predictions) {
      const version = this.#versionOf(p.model_version, p.ts, seen);
      const rulVersion =
        p.rul_model_version === undefined
          ? undefined
          : this.#versionOf(p.rul_model_version, p.ts, seen, 'regression');
      const params = predictionParams(p, version.id, rulVersion?.id ?? null, now, outboxLine ?? null);
      if (this.#insertPrediction.run(params).changes === 1) {
        inserted += 1;
        widen(version, p.ts);
        if (rulVersion) widen(rulVersion, p.ts);
      }
    }
    return { inserted, duplicates: predictions.length - inserted };
  }

  #writeAlerts(alerts: readonly NewAlert[], now: number, seen: Map<string, VersionSeen>): RecordCounts {
    let inserted = 0;
    for (const { alert: a, outboxLine } of alerts) {
      const version = this.#versionOf(a.model_version, a.ts, seen);
      if (this.#insertAlert.run(alertParams(a, version.id, now, outboxLine ?? null)).changes === 1) {
        inserted += 1;
        widen(version, a.ts);
      }
    }
    return { inserted, duplicates: alerts.length - inserted };
  }

  /**
   * The batch's entry for a model version, creating the version's row the first time it is seen, with
   * the task of the model that has it (the first one wins: a version names one ONNX file).
   */
  #versionOf(
    version: string,
    ts: number,
    seen: Map<string, VersionSeen>,
    task: ModelTaskName = 'classification',
  ): VersionSeen {
    let entry = seen.get(version);
    if (entry) return entry;
    let id = this.#versionIds.get(version);
    if (id === undefined) {
      this.#insertVersion.run(version, ts, ts, task);
      id = this.#versionIdOf.get(version) as number;
      this.#versionIds.set(version, id);
    }
    // An empty range (first > last) until a row is stored with it: a duplicate widens nothing.
    entry = { id, first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
    seen.set(version, entry);
    return entry;
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
}

function widen(entry: VersionSeen, ts: number): void {
  if (ts < entry.first) entry.first = ts;
  if (ts > entry.last) entry.last = ts;
}
