/**
 * Reads samples back out of InfluxDB, one object per sample, for the export CLI, streamed (query.ts).
 */
import {
  CHANNELS,
  type Channel,
  FAILURE_MODES,
  GROUND_TRUTH_FIELDS,
  type LabelledSample,
  PUMP_STATES,
} from '@pdm/contract';
import { InfluxError } from './errors.ts';
import { MEASUREMENT, REQUIRED_FIELDS, TAG } from './line-protocol.ts';
import { fluxString, fluxStrings, type InfluxReaderOptions, streamFlux } from './query.ts';

export interface TelemetryQuery {
  /** inclusive; from the epoch when absent */
  readonly since?: Date;
  /** exclusive; up to the server's now() when absent */
  readonly until?: Date;
  /** only these pumps; all when absent */
  readonly pumps?: readonly string[];
}

/** Rows sorted by pump_id, then time. */
export async function* queryTelemetry(
  options: InfluxReaderOptions,
  query: TelemetryQuery = {},
): AsyncIterable<LabelledSample> {
  if (query.pumps?.length === 0) return;
  yield* streamFlux(options, buildTelemetryFlux(options.bucket, query), (labels) => {
    const columns = locateColumns(labels);
    return (values) => toRow(values, columns);
  });
}

/**
 * The Flux the reader sends. Flux orders rows only within a table, so everything is grouped into one
 * table and sorted there; InfluxDB holds that table in memory for the sort, so export long histories
 * in windows of since/until rather than in one query.
 */
export function buildTelemetryFlux(bucket: string, query: TelemetryQuery): string {
  const since = query.since ?? new Date(0);
  if (query.until !== undefined && query.until.getTime() <= since.getTime()) {
    throw new InfluxError(
      'invalid_argument',
      `until (${query.until.toISOString()}) must be later than since (${since.toISOString()})`,
    );
  }
  const stop = query.until === undefined ? '' : `, stop: ${query.until.toISOString()}`;
  const lines = [
    `from(bucket: ${fluxString(bucket)})`,
    `  |> range(start: ${since.toISOString()}${stop})`,
    `  |> filter(fn: (r) => r._measurement == ${fluxString(MEASUREMENT)})`,
  ];
  if (query.pumps !== undefined) {
    const anyOf = query.pumps.map((id) => `r.${TAG} == ${fluxString(id)}`).join(' or ');
    lines.push(`  |> filter(fn: (r) => ${anyOf})`);
  }
  lines.push(
    '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")',
    `  |> keep(columns: ${fluxStrings(['_time', TAG, ...REQUIRED_FIELDS, ...GROUND_TRUTH_FIELDS])})`,
    '  |> group()',
    `  |> sort(columns: ${fluxStrings([TAG, '_time'])})`,
  );
  return lines.join('\n');
}

interface RowColumns {
  readonly time: number;
  readonly pump: number;
  readonly seq: number;
  readonly channels: readonly (readonly [Channel, number])[];
  readonly state: number;
  readonly healthPct: number;
  readonly rulH: number;
  readonly failureMode: number;
}

function locateColumns(labels: readonly string[]): RowColumns {
  const at = (label: string) => labels.indexOf(label);
  return {
    time: at('_time'),
    pump: at(TAG),
    seq: at('seq'),
    channels: CHANNELS.map((c) => [c, at(c)] as const),
    state: at('state'),
    healthPct: at('health_pct'),
    rulH: at('rul_h'),
    failureMode: at('failure_mode'),
  };
}

function toRow(values: readonly string[], c: RowColumns): LabelledSample {
  const pumpId = values[c.pump] ?? '';
  const time = values[c.time] ?? '';
  const ts = Date.parse(time);
  if (pumpId === '' || Number.isNaN(ts)) {
    throw new InfluxError('bad_response', `row without ${TAG} or _time: ${JSON.stringify(values)}`);
  }
  const required = (column: number, name: string): number => {
    const text = values[column] ?? '';
    const value = Number(text);
    if (text === '' || Number.isNaN(value)) {
      throw new InfluxError('bad_response', `${pumpId} at ${time} has no number in field "${name}"`);
    }
    return value;
  };
  const row = { pump_id: pumpId, ts, seq: required(c.seq, 'seq') } as LabelledSample;
  for (const [channel, column] of c.channels) row[channel] = required(column, channel);
  const state = values[c.state];
  if (state) row.state = member(PUMP_STATES, state, 'state', pumpId, time);
  const healthPct = values[c.healthPct];
  if (healthPct) row.health_pct = Number(healthPct);
  const rulH = values[c.rulH];
  if (rulH) row.rul_h = Number(rulH);
  const failureMode = values[c.failureMode];
  if (failureMode) row.failure_mode = member(FAILURE_MODES, failureMode, 'failure_mode', pumpId, time);
  return row;
}

function member<T extends string>(
  allowed: readonly T[],
  value: string,
  field: string,
  pumpId: string,
  time: string,
): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new InfluxError('bad_response', `${pumpId} at ${time} has unknown ${field} ${JSON.stringify(value)}`);
}
