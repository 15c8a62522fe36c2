/**
 * From the parsed flags to what the export needs: times resolved against the start of the run, paths
 * against the working directory, and the checks that span several options.
 */

import { createReadStream } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { InfluxTarget } from '@pdm/influx';
import { missingInfluxSettings } from '@pdm/influx';
import type { ConfigOf } from '@pdm/service-kit';
import type { ExportSettings } from './app.ts';
import { type JsonlInput, openJsonlSource } from './jsonl-source.ts';
import { type OutputFormat, type options, STDIN } from './options.ts';
import type { RowSource } from './row-source.ts';
import { influxSource, openSqliteSource } from './source.ts';
import { readerThreadAvailable } from './sqlite-reader.ts';
import { resolveTimeBound } from './time-range.ts';

export type SourceChoice =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'influxdb'; readonly target: InfluxTarget }
  /** `input` is an absolute path, or STDIN; the temporary store goes into `spoolDir` */
  | { readonly kind: 'jsonl'; readonly input: string; readonly spoolDir: string };

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

  const format: OutputFormat =
    config.format ?? (config.out && extname(config.out) === '.jsonl' ? 'jsonl' : 'csv');
  const out = resolve(cwd, config.out ?? defaultOutPath(nowMs, format));

  if (config.source === 'jsonl' && config.input === undefined) {
    problems.push(`--input: required with --source jsonl: a file of JSON Lines, or ${STDIN} for stdin`);
  }
  if (config.source !== 'jsonl' && config.input !== undefined) {
    problems.push(`--input: read only with --source jsonl (the source is ${config.source})`);
  }

  let source: SourceChoice;
  if (config.source === 'jsonl') {
    const input = config.input === undefined || config.input === STDIN ? STDIN : resolve(cwd, config.input);
    source = { kind: 'jsonl', input, spoolDir: dirname(out) };
  } else if (config.source === 'influxdb') {
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

/** `stdin` is read for `--input -`. */
export function openSource(choice: SourceChoice, stdin: Readable): RowSource {
  const readerThread = readerThreadAvailable();
  switch (choice.kind) {
    case 'sqlite':
      return openSqliteSource(choice.path, { readerThread });
    case 'influxdb':
      return influxSource(choice.target);
    case 'jsonl': {
      const { input } = choice;
      const jsonl: JsonlInput =
        input === STDIN
          ? { name: 'stdin', open: () => stdin }
          : { name: input, open: () => createReadStream(input) };
      return openJsonlSource(jsonl, { spoolDir: choice.spoolDir, readerThread });
    }
  }
}
