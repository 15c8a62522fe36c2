/**
 * What the export reads from: samples (LabelledSample of @pdm/contract) per pump in time order, which is
 * what the feature windows need, in batches. The SQLite store, InfluxDB and JSON Lines all provide it.
 */
import type { LabelledSample } from '@pdm/contract';
import type { StateCounts } from './balance.ts';
import type { TimeRange } from './time-range.ts';

export interface RowFilter extends TimeRange {
  readonly pumps?: readonly string[] | undefined;
}

export type RowBatches = AsyncIterable<Iterable<LabelledSample>>;

export interface RowCounts {
  /** every sample in the filter, labelled or not: all of them feed the feature windows */
  readonly rows: number;
  readonly labelled: StateCounts;
}

/** Something the source left out, worth a warning in the log. */
export interface SourceWarning {
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface RowSource {
  /** names the source in messages: the SQLite file, the InfluxDB URL and bucket, the JSON Lines input */
  readonly description: string;
  /** samples in the filter when the source can tell without reading them (progress); else undefined */
  countRows(filter: RowFilter): Promise<number | undefined>;
  /** samples and labelled samples per state; `onRows` reports progress when counting means reading */
  countStates(filter: RowFilter, onRows?: (rows: number) => void): Promise<RowCounts>;
  /**
   * By pump_id, then ts, in batches: a batch is walked to its end before the next is asked for. A row
   * object may be refilled for the next sample: copy what must outlive the step.
   */
  rows(filter: RowFilter): RowBatches;
  /** what the source left out of what it was given, once it has been counted (JSON Lines: bad lines) */
  warnings?(): readonly SourceWarning[];
  close(): void;
}
