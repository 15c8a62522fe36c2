/**
 * The notifier's own SQLite file (better-sqlite3, WAL): the alerts taken in, the alarms they open and
 * resolve, the groups and what each last sent, the outbox of notifications, silences, acks and dead
 * letters. Every step that changes what will be sent is one transaction, so a crash between two steps
 * loses nothing and does nothing twice.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Ack, Alert } from '@pdm/contract';
import Database from 'better-sqlite3';
import { type AlarmName, type AlarmRecord, alarmNameOf } from './alerts.ts';

const SCHEMA_VERSION = 1;

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS alert_events (
  id INTEGER PRIMARY KEY,
  pump_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  -- a redelivered alert is taken in once
  UNIQUE (pump_id, ts, seq, kind, state)
);

CREATE TABLE IF NOT EXISTS alarms (
  id INTEGER PRIMARY KEY,
  pump_id TEXT NOT NULL,
  -- the alarm's name (alerts.ts ALARM_NAMES): FAULTY, BROKEN, or RUL_LOW
  state TEXT NOT NULL,
  status TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER,
  alert TEXT NOT NULL,
  recovery TEXT,
  acked_by TEXT,
  acked_at INTEGER,
  ack_via TEXT
);
-- one firing alarm per pump and name, as Alertmanager has one alert per label set
CREATE UNIQUE INDEX IF NOT EXISTS alarms_firing ON alarms (pump_id, state) WHERE status = 'firing';

CREATE TABLE IF NOT EXISTS groups (
  route TEXT NOT NULL,
  key TEXT NOT NULL,
  labels TEXT NOT NULL,
  next_flush_at INTEGER NOT NULL,
  last_sent_at INTEGER,
  -- ids of the alarms its last message showed firing, as JSON
  notified TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (route, key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS group_members (
  route TEXT NOT NULL,
  key TEXT NOT NULL,
  alarm_id INTEGER NOT NULL,
  PRIMARY KEY (route, key, alarm_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  receiver TEXT NOT NULL,
  -- a Telegram chat id; '' for receivers with one destination
  target TEXT NOT NULL,
  -- the notification as JSON, rendered for the receiver when it is sent
  content TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  -- parts of a split message already delivered: a restart goes on with the next one
  parts_sent INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  sent_at INTEGER
);
CREATE INDEX IF NOT EXISTS notifications_pending ON notifications (receiver, target, id) WHERE status = 'pending';

CREATE TABLE IF NOT EXISTS silences (
  id INTEGER PRIMARY KEY,
  pattern TEXT NOT NULL,
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  comment TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS acks (
  id INTEGER PRIMARY KEY,
  alarm_id INTEGER NOT NULL,
  -- the ack as published on pdm/v1/acks/<pump_id>
  message TEXT NOT NULL,
  published INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  topic TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  payload BLOB NOT NULL,
  payload_bytes INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

/** Who acknowledged an alarm, when (wall clock) and how. */
export interface AckInput {
  readonly by: string;
  readonly at: number;
  readonly via: Ack['via'];
}

export interface GroupRow {
  readonly route: string;
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly nextFlushAt: number;
  readonly lastSentAt: number | undefined;
  readonly notified: ReadonlySet<number>;
}

export interface NotificationRow {
  readonly id: number;
  readonly idempotencyKey: string;
  readonly receiver: string;
  readonly target: string;
  readonly content: string;
  readonly createdAt: number;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly partsSent: number;
}

export interface NewNotification {
  readonly idempotencyKey: string;
  readonly receiver: string;
  readonly target: string;
  readonly content: string;
}

export interface Silence {
  readonly id: number;
  readonly pattern: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly comment: string;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface DeadLetterRow {
  readonly id: number;
  readonly receivedAt: number;
  readonly topic: string;
  readonly reason: string;
  readonly detail: string;
  readonly payload: Buffer;
  readonly payloadBytes: number;
}

/** What taking in an alert did. */
export interface IngestResult {
  readonly duplicate: boolean;
  /** groups opened by it, with their first flush time */
  readonly opened: readonly { route: string; key: string; flushAt: number }[];
}

/** A route an alarm joins, with the group there and when that group flushes first if it is new. */
export interface Membership {
  readonly route: string;
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly firstFlushAt: number;
}

interface AlarmDbRow {
  id: number;
  pump_id: string;
  state: AlarmName;
  status: 'firing' | 'resolved';
  starts_at: number;
  ends_at: number | null;
  alert: string;
  recovery: string | null;
  acked_by: string | null;
  acked_at: number | null;
  ack_via: 'telegram' | 'api' | null;
}

const ALARM_COLUMNS =
  'id, pump_id, state, status, starts_at, ends_at, alert, recovery, acked_by, acked_at, ack_via';

function toAlarm(r: AlarmDbRow): AlarmRecord {
  return {
    id: r.id,
    pumpId: r.pump_id,
    state: r.state,
    status: r.status,
    startsAt: r.starts_at,
    endsAt: r.ends_at ?? undefined,
    alert: JSON.parse(r.alert) as Alert,
    recovery: r.recovery === null ? undefined : (JSON.parse(r.recovery) as Alert),
    ack:
      r.acked_by === null || r.acked_at === null || r.ack_via === null
        ? undefined
        : { by: r.acked_by, at: r.acked_at, via: r.ack_via },
  };
}

export class NotifierDb {
  readonly path: string;
  readonly #db: Database.Database;

  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path);
    try {
      this.#db.pragma('journal_mode = WAL');
      // FULL: an alert is acknowledged to the broker only once it is here, so a power loss must not take it.
      this.#db.pragma('synchronous = FULL');
      this.#db.pragma('busy_timeout = 5000');
      const version = this.#db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION)
        throw new Error(`${path} has notifier schema ${version}; this version reads up to ${SCHEMA_VERSION}`);
      this.#db.exec(SCHEMA_SQL);
      this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (err) {
      this.#db.close();
      throw err;
    }
  }

  /**
   * Takes in one alert, in one transaction: an alarm opens (or refreshes) the pump's firing alarm in its
   * state, and a rul_low its RUL_LOW alarm, and puts it into a group on each route `routesOf` names; a
   * recovery (the pump back to HEALTHY, repaired) resolves every firing alarm of the pump, RUL_LOW
   * included. A redelivered alert changes nothing.
   */
  ingest(alert: Alert, now: number, routesOf: (state: AlarmName) => readonly Membership[]): IngestResult {
    return this.#db.transaction((): IngestResult => {
      const { changes } = this.#db
        .prepare(
          'INSERT OR IGNORE INTO alert_events (pump_id, ts, seq, kind, state, received_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(alert.pump_id, alert.ts, alert.seq, alert.kind, alert.state, now);
      if (changes === 0) return { duplicate: true, opened: [] };
      const state = alarmNameOf(alert);
      if (state === undefined) {
        this.#db
          .prepare(
            "UPDATE alarms SET status = 'resolved', ends_at = ?, recovery = ? WHERE pump_id = ? AND status = 'firing'",
          )
          .run(now, JSON.stringify(alert), alert.pump_id);
        return { duplicate: false, opened: [] };
      }
      const firing = this.#db
        .prepare("SELECT id FROM alarms WHERE pump_id = ? AND state = ? AND status = 'firing'")
        .get(alert.pump_id, state) as { id: number } | undefined;
      if (firing) {
        // The same alarm again (the pump went back to WARNING and faulted again, or its RUL fell further
        // after a re-arm): one alarm, new evidence.
        this.#db.prepare('UPDATE alarms SET alert = ? WHERE id = ?').run(JSON.stringify(alert), firing.id);
        return { duplicate: false, opened: [] };
      }
      const alarmId = Number(
        this.#db
          .prepare(
            "INSERT INTO alarms (pump_id, state, status, starts_at, alert) VALUES (?, ?, 'firing', ?, ?)",
          )
          .run(alert.pump_id, state, now, JSON.stringify(alert)).lastInsertRowid,
      );
      const opened: { route: string; key: string; flushAt: number }[] = [];
      for (const m of routesOf(state)) {
        const created = this.#db
          .prepare('INSERT OR IGNORE INTO groups (route, key, labels, next_flush_at) VALUES (?, ?, ?, ?)')
          .run(m.route, m.key, JSON.stringify(m.labels), m.firstFlushAt).changes;
        if (created === 1) opened.push({ route: m.route, key: m.key, flushAt: m.firstFlushAt });
        this.#db
          .prepare('INSERT OR IGNORE INTO group_members (route, key, alarm_id) VALUES (?, ?, ?)')
          .run(m.route, m.key, alarmId);
      }
      return { duplicate: false, opened };
    })();
  }

  /** Runs `work` in one transaction: one fsync for every alert taken in by it. */
  batch<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  addDeadLetter(letter: Omit<DeadLetterRow, 'id'>): void {
    this.#db
      .prepare(
        'INSERT INTO dead_letters (received_at, topic, reason, detail, payload, payload_bytes) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        letter.receivedAt,
        letter.topic,
        letter.reason,
        letter.detail,
        letter.payload,
        letter.payloadBytes,
      );
  }

  deadLetters(): DeadLetterRow[] {
    return (
      this.#db
        .prepare(
          'SELECT id, received_at AS receivedAt, topic, reason, detail, payload, payload_bytes AS payloadBytes FROM dead_letters ORDER BY id',
        )
        .all() as DeadLetterRow[]
    ).map((d) => ({ ...d, payload: Buffer.from(d.payload) }));
  }

  // Groups

  /** the earliest flush of any group, if there is a group */
  nextFlushAt(): number | undefined {
    const row = this.#db.prepare('SELECT min(next_flush_at) AS at FROM groups').get() as {
      at: number | null;
    };
    return row.at ?? undefined;
  }

  dueGroups(now: number): GroupRow[] {
    const rows = this.#db
      .prepare(
        'SELECT route, key, labels, next_flush_at, last_sent_at, notified FROM groups WHERE next_flush_at <= ? ORDER BY next_flush_at',
      )
      .all(now) as {
      route: string;
      key: string;
      labels: string;
      next_flush_at: number;
      last_sent_at: number | null;
      notified: string;
    }[];
    return rows.map((r) => ({
      route: r.route,
      key: r.key,
      labels: JSON.parse(r.labels) as Record<string, string>,
      nextFlushAt: r.next_flush_at,
      lastSentAt: r.last_sent_at ?? undefined,
      notified: new Set(JSON.parse(r.notified) as number[]),
    }));
  }

  groupMembers(route: string, key: string): AlarmRecord[] {
    return (
      this.#db
        .prepare(
          `SELECT ${ALARM_COLUMNS.split(', ')
            .map((c) => `a.${c}`)
            .join(
              ', ',
            )} FROM group_members m JOIN alarms a ON a.id = m.alarm_id WHERE m.route = ? AND m.key = ? ORDER BY a.pump_id, a.state`,
        )
        .all(route, key) as AlarmDbRow[]
    ).map(toAlarm);
  }

  /** the firing alarms of these pumps, for inhibition */
  firingOf(pumpIds: readonly string[]): { pumpId: string; state: AlarmName }[] {
    if (pumpIds.length === 0) return [];
    const found: { pumpId: string; state: AlarmName }[] = [];
    // SQLite allows 32,766 parameters a statement; a group can hold more pumps than that.
    for (let i = 0; i < pumpIds.length; i += 10_000) {
      const chunk = pumpIds.slice(i, i + 10_000);
      found.push(
        ...(this.#db
          .prepare(
            `SELECT pump_id AS pumpId, state FROM alarms WHERE status = 'firing' AND pump_id IN (${chunk.map(() => '?').join(', ')})`,
          )
          .all(...chunk) as { pumpId: string; state: AlarmName }[]),
      );
    }
    return found;
  }

  /**
   * Records one flush of a group, in one transaction: its notifications into the outbox, what it
   * showed, members that leave, and its next flush, or the group gone when no member is left.
   */
  recordFlush(
    group: { route: string; key: string },
    flush: {
      readonly notifications: readonly NewNotification[];
      readonly lastSentAt: number | undefined;
      readonly notified: ReadonlySet<number>;
      readonly leaving: readonly number[];
      readonly nextFlushAt: number;
      readonly now: number;
    },
  ): NotificationRow[] {
    return this.#db.transaction(() => {
      const { route, key } = group;
      const leave = this.#db.prepare(
        'DELETE FROM group_members WHERE route = ? AND key = ? AND alarm_id = ?',
      );
      for (const id of flush.leaving) leave.run(route, key, id);
      const left = this.#db
        .prepare('SELECT count(*) AS n FROM group_members WHERE route = ? AND key = ?')
        .get(route, key) as { n: number };
      if (left.n === 0) this.#db.prepare('DELETE FROM groups WHERE route = ? AND key = ?').run(route, key);
      else
        this.#db
          .prepare(
            'UPDATE groups SET next_flush_at = ?, last_sent_at = ?, notified = ? WHERE route = ? AND key = ?',
          )
          .run(flush.nextFlushAt, flush.lastSentAt ?? null, JSON.stringify([...flush.notified]), route, key);
      return flush.notifications.map((n) => this.#enqueue(n, flush.now));
    })();
  }

  /** Drops a group whose route is no longer configured. */
  dropGroup(route: string, key: string): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM group_members WHERE route = ? AND key = ?').run(route, key);
      this.#db.prepare('DELETE FROM groups WHERE route = ? AND key = ?').run(route, key);
    })();
  }

  // The outbox

  enqueue(n: NewNotification, now: number): NotificationRow {
    return this.#enqueue(n, now);
  }

  #enqueue(n: NewNotification, now: number): NotificationRow {
    const id = Number(
      this.#db
        .prepare(
          'INSERT INTO notifications (idempotency_key, receiver, target, content, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(n.idempotencyKey, n.receiver, n.target, n.content, now, now).lastInsertRowid,
    );
    return { id, ...n, createdAt: now, attempts: 0, nextAttemptAt: now, partsSent: 0 };
  }

  /** the oldest pending notification for a destination */
  nextPending(receiver: string, target: string): NotificationRow | undefined {
    return this.#db
      .prepare(
        `SELECT id, idempotency_key AS idempotencyKey, receiver, target, content, created_at AS createdAt, attempts,
                next_attempt_at AS nextAttemptAt, parts_sent AS partsSent
           FROM notifications WHERE receiver = ? AND target = ? AND status = 'pending' ORDER BY id LIMIT 1`,
      )
      .get(receiver, target) as NotificationRow | undefined;
  }

  /** destinations with something pending */
  pendingDestinations(): { receiver: string; target: string }[] {
    return this.#db
      .prepare("SELECT DISTINCT receiver, target FROM notifications WHERE status = 'pending'")
      .all() as { receiver: string; target: string }[];
  }

  partSent(id: number, partsSent: number): void {
    this.#db.prepare('UPDATE notifications SET parts_sent = ? WHERE id = ?').run(partsSent, id);
  }

  markSent(id: number, now: number): void {
    this.#db.prepare("UPDATE notifications SET status = 'sent', sent_at = ? WHERE id = ?").run(now, id);
  }

  markFailedAttempt(id: number, error: string, nextAttemptAt: number): void {
    this.#db
      .prepare(
        'UPDATE notifications SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?',
      )
      .run(error.slice(0, 500), nextAttemptAt, id);
  }

  /** pending notifications per receiver and the creation time of the oldest */
  pendingByReceiver(): Map<string, { count: number; oldestCreatedAt: number }> {
    const rows = this.#db
      .prepare(
        "SELECT receiver, count(*) AS n, min(created_at) AS oldest FROM notifications WHERE status = 'pending' GROUP BY receiver",
      )
      .all() as { receiver: string; n: number; oldest: number }[];
    return new Map(rows.map((r) => [r.receiver, { count: r.n, oldestCreatedAt: r.oldest }]));
  }

  notificationContent(id: number): string | undefined {
    return (
      this.#db.prepare('SELECT content FROM notifications WHERE id = ?').get(id) as
        | { content: string }
        | undefined
    )?.content;
  }

  // Silences

  addSilence(s: Omit<Silence, 'id'>): Silence {
    const id = Number(
      this.#db
        .prepare(
          'INSERT INTO silences (pattern, starts_at, ends_at, comment, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(s.pattern, s.startsAt, s.endsAt, s.comment, s.createdBy, s.createdAt).lastInsertRowid,
    );
    return { id, ...s };
  }

  /** active ones (ends_at after `now`), or all of them with `all` */
  silences(now: number, { all = false } = {}): Silence[] {
    return this.#db
      .prepare(
        `SELECT id, pattern, starts_at AS startsAt, ends_at AS endsAt, comment, created_by AS createdBy, created_at AS createdAt
           FROM silences ${all ? '' : 'WHERE ends_at > ? AND starts_at <= ?'} ORDER BY id`,
      )
      .all(...(all ? [] : [now, now])) as Silence[];
  }

  /** Ends a silence now; false when there is no such active silence. */
  expireSilence(id: number, now: number): boolean {
    return (
      this.#db.prepare('UPDATE silences SET ends_at = ? WHERE id = ? AND ends_at > ?').run(now, id, now)
        .changes === 1
    );
  }

  // Acks

  alarmsById(ids: readonly number[]): AlarmRecord[] {
    if (ids.length === 0) return [];
    return (
      this.#db
        .prepare(
          `SELECT ${ALARM_COLUMNS} FROM alarms WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY pump_id`,
        )
        .all(...ids) as AlarmDbRow[]
    ).map(toAlarm);
  }

  /**
   * Stores acks of firing alarms that have none yet, each with the message to publish, if it has one;
   * returns the ids of the alarms acknowledged now. An alarm acknowledged already keeps its first ack.
   */
  acknowledge(acks: readonly { alarmId: number; ack: AckInput; message: Ack | undefined }[]): number[] {
    return this.#db.transaction(() => {
      const stored: number[] = [];
      for (const { alarmId, ack, message } of acks) {
        const { changes } = this.#db
          .prepare(
            "UPDATE alarms SET acked_by = ?, acked_at = ?, ack_via = ? WHERE id = ? AND acked_by IS NULL AND status = 'firing'",
          )
          .run(ack.by, ack.at, ack.via, alarmId);
        if (changes === 0) continue;
        stored.push(alarmId);
        if (message)
          this.#db
            .prepare('INSERT INTO acks (alarm_id, message) VALUES (?, ?)')
            .run(alarmId, JSON.stringify(message));
      }
      return stored;
    })();
  }

  unpublishedAcks(): { id: number; message: Ack }[] {
    return (
      this.#db.prepare('SELECT id, message FROM acks WHERE published = 0 ORDER BY id').all() as {
        id: number;
        message: string;
      }[]
    ).map((r) => ({ id: r.id, message: JSON.parse(r.message) as Ack }));
  }

  markAckPublished(id: number): void {
    this.#db.prepare('UPDATE acks SET published = 1 WHERE id = ?').run(id);
  }

  /**
   * Deletes what is done with and older than `before`: delivered notifications, resolved alarms no group
   * holds any more, alert events, published acks and silences that ended. Returns the rows deleted.
   */
  prune(before: number): number {
    return this.batch(() => {
      const older = (sql: string) => this.#db.prepare(sql).run(before).changes;
      return (
        older("DELETE FROM notifications WHERE status = 'sent' AND sent_at < ?") +
        older(
          "DELETE FROM alarms WHERE status = 'resolved' AND ends_at < ? AND id NOT IN (SELECT alarm_id FROM group_members)",
        ) +
        older('DELETE FROM alert_events WHERE received_at < ?') +
        older('DELETE FROM silences WHERE ends_at < ?') +
        // Acks of alarms deleted above; an ack not yet published stays until it is.
        this.#db
          .prepare('DELETE FROM acks WHERE published = 1 AND alarm_id NOT IN (SELECT id FROM alarms)')
          .run().changes
      );
    });
  }

  // Small settings that must survive a restart (Telegram's update offset)

  meta(key: string): string | undefined {
    return (
      this.#db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
    )?.value;
  }

  setMeta(key: string, value: string): void {
    this.#db
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      )
      .run(key, value);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
