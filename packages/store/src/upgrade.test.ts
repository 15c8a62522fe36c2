import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SampleStore, SCHEMA_VERSION } from './index.ts';
import { alert, prediction, T0, telemetry } from './testing/records.ts';

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

const dirs: string[] = [];
function v1File(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-upgrade-'));
  dirs.push(dir);
  const path = join(dir, 'pdm.sqlite');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(V1_SCHEMA);
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
