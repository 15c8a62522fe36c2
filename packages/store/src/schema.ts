/** The SQLite schema, versioned with PRAGMA user_version. */
import { CHANNELS } from '@pdm/contract';

export const SCHEMA_VERSION = 1;

const channelColumns = CHANNELS.map((c) => `  ${c} REAL NOT NULL,`).join('\n');

export const SCHEMA_SQL = `
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
