/**
 * From the parsed flags to what the export needs: times resolved against the start of the run, paths
 * against the working directory, and the checks that span several options.
 */

import { extname, resolve } from 'node:path';
import type { InfluxTarget } from '@pdm/influx';
import { missingInfluxSettings } from '@pdm/influx';
import type { ConfigOf } from '@pdm/service-kit';
import type { ExportSettings } from './app.ts';
import type { OutputFormat, options } from './options.ts';
import type { RowSource } from './row-source.ts';
import { influxSource, openSqliteSource } from './source.ts';
import { readerThreadAvailable } from './sqlite-reader.ts';
import { resolveTimeBound } from './time-range.ts';

export type SourceChoice =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'influxdb'; readonly target: InfluxTarget };

export type Resolution =
  | { readonly kind: 'ok'; readonly settings: ExportSettings; readonly source: SourceChoice }
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

export interface RunContext {
  readonly cwd: string;
  /** epoch ms of the start of the run: ages such as 12h count back from it */
  readonly nowMs: number;
}

export function resolveSettings(config: ConfigOf<typeof options>, { cwd, nowMs }: RunContext): Resolution {
  const problems: string[] = [];
  const sinceMs = config.since && resolveTimeBound(config.since, nowMs);
  const untilMs = config.until && resolveTimeBound(config.until, nowMs);
  if (sinceMs !== undefined && untilMs !== undefined && untilMs <= sinceMs) {
    problems.push(
      `--until (${new Date(untilMs).toISOString()}) must be later than --since (${new Date(sinceMs).toISOString()})`,
    );
  }

  let source: SourceChoice;
  if (config.source === 'influxdb') {
    problems.push(...missingInfluxSettings(config));
    source = {
      kind: 'influxdb',
      target: {
        url: config.influxUrl,
        token: config.influxToken ?? '',
        org: config.influxOrg ?? '',
        bucket: config.influxBucket,
      },
    };
  } else {
    source = { kind: 'sqlite', path: resolve(cwd, config.sqlitePath) };
  }
  if (problems.length > 0) return { kind: 'invalid', problems };

  const format: OutputFormat =
    config.format ?? (config.out && extname(config.out) === '.jsonl' ? 'jsonl' : 'csv');
  const out = resolve(cwd, config.out ?? defaultOutPath(nowMs, format));
  return {
    kind: 'ok',
    source,
    settings: {
      filter: { sinceMs, untilMs, pumps: config.pumps },
      balance: config.balance,
      maxPerClass: config.maxPerClass,
      seed: config.seed,
      format,
      out,
    },
  };
}

/** `data/training-20261126T100710Z.csv`: sorts by time, and no colons, which some file systems refuse. */
export function defaultOutPath(nowMs: number, format: OutputFormat): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `data/training-${stamp}.${format}`;
}

export function openSource(choice: SourceChoice): RowSource {
  return choice.kind === 'sqlite'
    ? openSqliteSource(choice.path, { readerThread: readerThreadAvailable() })
    : influxSource(choice.target);
}
