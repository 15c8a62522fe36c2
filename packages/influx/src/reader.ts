/**
 * Reads samples back out of InfluxDB, one object per sample, for the export CLI, streamed (query.ts).
 */

import {
  CHANNELS,
  FAILURE_MODES,
  GROUND_TRUTH_FIELDS,
  type LabelledSample,
  PUMP_STATES,
} from '@pdm/contract';
import { RowCells } from './cells.ts';
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
  yield* streamFlux(options, buildTelemetryFlux(options.bucket, query), sampleDecoder);
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

/** A decoder for one table of the answer: its columns are located once, then each row is read. */
function sampleDecoder(labels: readonly string[]): (values: readonly string[]) => LabelledSample {
  const cells = new RowCells(labels);
  const time = cells.column('_time');
  const pump = cells.column(TAG);
  const seq = cells.column('seq');
  const channels = CHANNELS.map((c) => [c, cells.column(c)] as const);
  const state = cells.column('state');
  const healthPct = cells.column('health_pct');
  const rulH = cells.column('rul_h');
  const failureMode = cells.column('failure_mode');
  return (values) => {
    cells.row(values);
    const row = {
      pump_id: cells.requiredText(pump),
      ts: cells.time(time),
      seq: cells.requiredNumber(seq),
    } as LabelledSample;
    for (const [channel, column] of channels) row[channel] = cells.requiredNumber(column);
    // Absent ground truth stays absent, as it was written.
    if (cells.text(state) !== undefined) row.state = cells.member(PUMP_STATES, state);
    const health = cells.number(healthPct);
    if (health !== undefined) row.health_pct = health;
    const rul = cells.number(rulH);
    if (rul !== undefined) row.rul_h = rul;
    if (cells.text(failureMode) !== undefined) row.failure_mode = cells.member(FAILURE_MODES, failureMode);
    return row;
  };
}
