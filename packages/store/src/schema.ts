/** The SQLite schema, versioned with PRAGMA user_version. */
import { CHANNELS, PROBABILITY_FIELDS, PUMP_STATES, SAMPLE_FIELDS } from '@pdm/contract';

/**
 * 1: samples, dead letters, meta. 2: predictions and alerts, with their model versions. 3: a prediction's
 * remaining useful life and the RUL model that made it. An older file opened for writing gains the new
 * tables and columns in place; nothing else changes.
 */
export const SCHEMA_VERSION = 3;

const channelColumns = CHANNELS.map((c) => `  ${c} REAL NOT NULL,`).join('\n');
const probabilityColumns = PUMP_STATES.map((s) => `  ${PROBABILITY_FIELDS[s]} REAL,`).join('\n');

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS samples (
  -- insertion order: the InfluxDB forwarder's cursor walks it
  id INTEGER PRIMARY KEY,
  pump_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
${channelColumns}
  -- the ground truth; NULL for raw telemetry
  state TEXT,
  health_pct REAL,
  rul_h REAL,
  failure_mode TEXT,
  -- 'training' or 'telemetry': the topic the sample came on
  source TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  -- with STORE=influxdb: the sample as the line of line protocol the forwarder sends, encoded once on
  -- arrival so the forwarder reads a string instead of sixteen columns
  outbox_line TEXT,
  -- a sample is identified by pump and device time: a redelivery is stored once
  UNIQUE (pump_id, ts)
);

CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  -- 'mqtt' for bad input, 'influxdb' for a batch the server rejected
  origin TEXT NOT NULL,
  topic TEXT,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  payload BLOB NOT NULL,
  -- the payload's full size; payload itself may be truncated
  payload_bytes INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/*
 * Predictions come at the rate of telemetry, so a row is kept small: states and zones as their index in
 * PUMP_STATES and ISO_ZONES (SQLite stores 0 and 1 in no bytes and other small integers in one), the
 * model version as an id into model_versions, each probability as a REAL of its own (0 and 1, the
 * commonest, again in no bytes; NULL for a class the model does not know).
 */
const SCHEMA_V2 = `
CREATE TABLE IF NOT EXISTS model_versions (
  id INTEGER PRIMARY KEY,
  version TEXT NOT NULL UNIQUE,
  -- device time of the first and last prediction or alert stored with this version
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  -- 'classification' (the state model) or 'regression' (the RUL model), as the model card says
  task TEXT NOT NULL DEFAULT 'classification'
);

CREATE TABLE IF NOT EXISTS predictions (
  -- insertion order: the InfluxDB forwarder's cursor walks it
  id INTEGER PRIMARY KEY,
  pump_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  -- index into PUMP_STATES: smoothed, and this sample's own
  state INTEGER NOT NULL,
  raw_state INTEGER NOT NULL,
${probabilityColumns}
  vibration_rms REAL NOT NULL,
  -- index into ISO_ZONES, as inference graded it (its machine class is configurable)
  iso_zone INTEGER NOT NULL,
  model_version_id INTEGER NOT NULL REFERENCES model_versions (id),
  latency_ms REAL NOT NULL,
  received_at INTEGER NOT NULL,
  -- remaining useful life in hours and the RUL model that made it; NULL (no bytes) while none serves
  rul_h REAL,
  rul_model_version_id INTEGER REFERENCES model_versions (id),
  -- with STORE=influxdb: the line of line protocol, encoded on arrival
  outbox_line TEXT,
  -- one prediction per pump and device time: a redelivery, or a prediction made again after a crash,
  -- is stored once (the first wins)
  UNIQUE (pump_id, ts)
);

CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  pump_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  -- one of ALERT_KINDS: 'alarm', 'recovered', 'rul_low'
  kind TEXT NOT NULL,
  -- index into PUMP_STATES
  state INTEGER NOT NULL,
  previous_state INTEGER NOT NULL,
  model_version_id INTEGER NOT NULL REFERENCES model_versions (id),
  -- the alert's evidence as compact JSON
  evidence TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  outbox_line TEXT,
  UNIQUE (pump_id, ts, kind)
);

-- the alerts view reads the newest alerts of the whole fleet
CREATE INDEX IF NOT EXISTS alerts_by_ts ON alerts (ts);
-- the pipeline view counts dead letters by origin and reason
CREATE INDEX IF NOT EXISTS dead_letters_by_reason ON dead_letters (origin, reason);
`;

export const SCHEMA_SQL = SCHEMA_V1 + SCHEMA_V2;

/**
 * What a version-2 file lacks, added in place (SCHEMA_SQL creates a missing table whole, but leaves an
 * existing one as it is). New columns are NULL or their default in the rows already stored: an ALTER that
 * rewrites nothing, however big the file.
 */
export const UPGRADE_FROM_V2 = `
ALTER TABLE model_versions ADD COLUMN task TEXT NOT NULL DEFAULT 'classification';
ALTER TABLE predictions ADD COLUMN rul_h REAL;
ALTER TABLE predictions ADD COLUMN rul_model_version_id INTEGER REFERENCES model_versions (id);
`;

/** The columns of a stored sample, in the order iterateValues() gives their values: the sample's fields. */
export const SAMPLE_COLUMNS = SAMPLE_FIELDS;

/** Tables a version-1 file lacks: a reader of such a file answers empty for them. */
export const V2_TABLES = ['model_versions', 'predictions', 'alerts'] as const;
