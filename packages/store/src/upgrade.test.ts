import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SampleStore, SCHEMA_VERSION } from './index.ts';
import {
  alert,
  MODEL,
  prediction,
  RUL_MODEL,
  rulLow,
  rulPrediction,
  T0,
  telemetry,
} from './testing/records.ts';

/** The schema exactly as version 1 of the store wrote it, frozen here: files like this are out there. */
const V1_SCHEMA = `
CREATE TABLE samples (
  id INTEGER PRIMARY KEY, pump_id TEXT NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL,
  vibration_x REAL NOT NULL, vibration_y REAL NOT NULL, vibration_z REAL NOT NULL, vibration_rms REAL NOT NULL,
  temperature REAL NOT NULL, pressure REAL NOT NULL, flow REAL NOT NULL, current REAL NOT NULL, rpm REAL NOT NULL,
  state TEXT, health_pct REAL, rul_h REAL, failure_mode TEXT,
  source TEXT NOT NULL, received_at INTEGER NOT NULL, outbox_line TEXT,
  UNIQUE (pump_id, ts)
);
CREATE TABLE dead_letters (
  id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, origin TEXT NOT NULL, topic TEXT, reason TEXT NOT NULL,
  detail TEXT NOT NULL, payload BLOB NOT NULL, payload_bytes INTEGER NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO samples VALUES (1, 'old', ${T0}, 0, 1, 1, 1, 1, 50, 6, 100, 40, 2950,
  'HEALTHY', 90, 10, 'CAVITATION', 'training', ${T0}, 'pump_telemetry,pump_id=old seq=0i ${T0}');
INSERT INTO dead_letters VALUES (1, ${T0}, 'mqtt', 't', 'not_json', 'x', x'7b', 1);
INSERT INTO meta VALUES ('outbox_forwarded_id', 1);
PRAGMA user_version = 1;
`;

/**
 * What version 2 added, exactly as it wrote it, with a prediction (model version 1) and an alarm in it,
 * both forwarded to InfluxDB already.
 */
const V2_SCHEMA = `
CREATE TABLE model_versions (
  id INTEGER PRIMARY KEY, version TEXT NOT NULL UNIQUE, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL
);
CREATE TABLE predictions (
  id INTEGER PRIMARY KEY, pump_id TEXT NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL,
  state INTEGER NOT NULL, raw_state INTEGER NOT NULL,
  p_healthy REAL, p_warning REAL, p_faulty REAL, p_broken REAL,
  vibration_rms REAL NOT NULL, iso_zone INTEGER NOT NULL,
  model_version_id INTEGER NOT NULL REFERENCES model_versions (id),
  latency_ms REAL NOT NULL, received_at INTEGER NOT NULL, outbox_line TEXT,
  UNIQUE (pump_id, ts)
);
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY, pump_id TEXT NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
  state INTEGER NOT NULL, previous_state INTEGER NOT NULL,
  model_version_id INTEGER NOT NULL REFERENCES model_versions (id),
  evidence TEXT NOT NULL, received_at INTEGER NOT NULL, outbox_line TEXT,
  UNIQUE (pump_id, ts, kind)
);
CREATE INDEX alerts_by_ts ON alerts (ts);
CREATE INDEX dead_letters_by_reason ON dead_letters (origin, reason);
INSERT INTO model_versions VALUES (1, '${MODEL}', ${T0}, ${T0});
INSERT INTO predictions VALUES (1, 'old', ${T0}, 0, 0, 1, 0.5321, 0.4679, 0, 0, 2.417, 1, 1, 3.41, ${T0}, NULL);
INSERT INTO alerts VALUES (1, 'old', ${T0}, 0, 'alarm', 2, 1, 1,
  '${JSON.stringify(alert('old', T0).evidence)}', ${T0}, NULL);
INSERT INTO meta VALUES ('outbox_forwarded_id:predictions', 1);
INSERT INTO meta VALUES ('outbox_forwarded_id:alerts', 1);
PRAGMA user_version = 2;
`;

const dirs: string[] = [];
function v1File(): string {
  return storeFile(V1_SCHEMA);
}
function v2File(): string {
  return storeFile(V1_SCHEMA.replace('PRAGMA user_version = 1;', '') + V2_SCHEMA);
}
function storeFile(sql: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-upgrade-'));
  dirs.push(dir);
  const path = join(dir, 'pdm.sqlite');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(sql);
  db.close();
  return path;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a store file of schema version 1', () => {
  it('is upgraded in place when opened for writing: its rows and outbox cursor stay, and it gains the new tables', () => {
    const path = v1File();
    const store = SampleStore.open(path);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect([...store.iterate()].map((s) => s.pump_id)).toEqual(['old']);
    expect(store.deadLetters().map((d) => d.reason)).toEqual(['not_json']);
    expect(store.outboxBacklog()).toBe(0);
    store.write({
      samples: [{ sample: telemetry('new', T0), source: 'telemetry', outboxLine: 'line' }],
      predictions: [{ prediction: prediction('new', T0) }],
      alerts: [{ alert: alert('new', T0) }],
    });
    expect(store.outboxBacklog('samples')).toBe(1);
    expect(store.latestPredictions()).toEqual([prediction('new', T0)]);
    expect(store.openAlarms()).toEqual([alert('new', T0)]);
    store.close();
    // and opens again as the version it now is
    const again = SampleStore.open(path, { readonly: true });
    expect(again.schemaVersion).toBe(SCHEMA_VERSION);
    expect(again.latestPredictions()).toHaveLength(1);
    again.close();
  });

  it('read-only, answers empty for predictions and alerts, and sees them once a writer upgrades the file', () => {
    const path = v1File();
    const reader = SampleStore.open(path, { readonly: true });
    expect(reader.schemaVersion).toBe(1);
    expect(reader.latestPredictions()).toEqual([]);
    expect([...reader.iteratePredictions('old', 0, T0 * 2)]).toEqual([]);
    expect(reader.lastPredictions('old', T0 * 2, 10)).toEqual([]);
    expect(reader.alerts({ limit: 10 })).toEqual([]);
    expect(reader.openAlarms()).toEqual([]);
    expect(reader.modelVersions()).toEqual([]);
    expect(reader.deadLetterSummary(5).byReason).toEqual([{ origin: 'mqtt', reason: 'not_json', count: 1 }]);
    expect([...reader.iterateSampleValues('old', T0, T0 + 1, ['rpm'])]).toEqual([[T0, 2950]]);

    const writer = SampleStore.open(path);
    writer.write({ predictions: [{ prediction: prediction('old', T0) }] });
    expect(reader.latestPredictions()).toEqual([prediction('old', T0)]);
    writer.close();
    reader.close();
  });
});

describe('a store file of schema version 2', () => {
  it('is upgraded in place when opened for writing: its rows, versions and cursors stay, and predictions gain a RUL', () => {
    const path = v2File();
    const store = SampleStore.open(path);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.latestPredictions()).toStrictEqual([prediction('old', T0, { seq: 0 })]);
    expect(store.openAlarms()).toStrictEqual([alert('old', T0, { seq: 0 })]);
    expect(store.modelVersions()).toEqual([{ version: MODEL, firstSeen: T0, lastSeen: T0 }]);
    expect(store.outboxBacklog()).toBe(0);
    const withRul = rulPrediction('old', T0 + 1000, 8.5);
    const low = rulLow('old', T0 + 1000, 8.5);
    store.write({ predictions: [{ prediction: withRul }], alerts: [{ alert: low }] });
    expect(store.lastPredictions('old', T0 + 2000, 2)).toStrictEqual([
      withRul,
      prediction('old', T0, { seq: 0 }),
    ]);
    expect(store.alerts({ limit: 10 })).toStrictEqual([low, alert('old', T0, { seq: 0 })]);
    expect(store.modelVersions('regression').map((v) => v.version)).toEqual([RUL_MODEL]);
    expect(store.outboxBacklog('predictions')).toBe(1);
    store.close();
    const again = SampleStore.open(path, { readonly: true });
    expect(again.schemaVersion).toBe(SCHEMA_VERSION);
    expect(again.countPredictions()).toBe(2);
    again.close();
  });

  it('read-only, reads its predictions without a RUL, and the RUL once a writer upgrades the file', () => {
    const path = v2File();
    const reader = SampleStore.open(path, { readonly: true });
    expect(reader.schemaVersion).toBe(2);
    const old = prediction('old', T0, { seq: 0 });
    expect(reader.latestPredictions()).toStrictEqual([old]);
    expect([...reader.iteratePredictions('old', T0, T0 + 1)]).toStrictEqual([old]);
    expect(reader.modelVersions()).toEqual([{ version: MODEL, firstSeen: T0, lastSeen: T0 }]);
    expect(reader.modelVersions('regression')).toEqual([]);

    const writer = SampleStore.open(path);
    const withRul = rulPrediction('old', T0 + 1000, 8.5);
    writer.write({ predictions: [{ prediction: withRul }] });
    expect(reader.latestPredictions()).toStrictEqual([withRul]);
    expect(reader.modelVersions('regression').map((v) => v.version)).toEqual([RUL_MODEL]);
    writer.close();
    reader.close();
  });
});

describe('a read-only store beside the writer', () => {
  it('serves every read while another connection writes, each read from a consistent snapshot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-wal-'));
    dirs.push(dir);
    const path = join(dir, 'pdm.sqlite');
    const writer = SampleStore.open(path);
    const write = (i: number) =>
      writer.write({
        samples: [{ sample: telemetry('p', T0 + i * 1000), source: 'telemetry' }],
        predictions: [{ prediction: prediction('p', T0 + i * 1000) }],
        alerts: i % 10 === 0 ? [{ alert: alert('p', T0 + i * 1000) }] : [],
      });
    for (let i = 0; i < 100; i++) write(i);
    const reader = SampleStore.open(path, { readonly: true });
    // An iterator that is half read while the writer commits keeps seeing its own snapshot.
    const samples = reader.iterateSampleValues('p', T0, T0 + 1_000_000, ['temperature']);
    const firstHalf = Array.from({ length: 50 }, () => samples.next().value);
    for (let i = 100; i < 200; i++) write(i);
    expect([...firstHalf, ...samples]).toHaveLength(100);
    // The next read sees the new commits.
    expect([...reader.iterateSampleValues('p', T0, T0 + 1_000_000, ['temperature'])]).toHaveLength(200);
    expect(reader.latestPredictions().map((p) => p.ts)).toEqual([T0 + 199_000]);
    expect([...reader.iteratePredictions('p', T0, T0 + 1_000_000)]).toHaveLength(200);
    expect(reader.lastPredictions('p', T0 + 1_000_000, 3).map((p) => p.ts)).toEqual([
      T0 + 199_000,
      T0 + 198_000,
      T0 + 197_000,
    ]);
    expect(reader.alerts({ limit: 100 })).toHaveLength(20);
    expect(reader.openAlarms()).toHaveLength(1);
    expect(reader.modelVersions()).toHaveLength(1);
    expect(reader.deadLetterSummary(1)).toEqual({ byReason: [], recent: [] });
    expect(() => reader.write({})).toThrow(/read-only/);
    reader.close();
    writer.close();
  });
});
