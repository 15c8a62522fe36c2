/**
 * JSON Lines as a row source: the training simulator's --stdout, `{"topic": …, "payload": …}` a line,
 * from a file or stdin, so a training set needs no broker and no acquisition. The simulator sends its
 * pumps interleaved, step by step, and the feature windows need each pump's samples in time order; so
 * the valid samples are first stored as acquisition would store them (pump and time identify a sample,
 * a repeat is stored once), into a temporary SQLite store beside the output. That store is then read
 * like any other: states counted for balancing, rows per pump on the reader thread. It is deleted when
 * the source closes. Memory stays flat however long the input: what waits is on disk.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { SampleStore } from '@pdm/store';
import { BatchedWriter, type WriteCounts } from './batched-writer.ts';
import { ExportError } from './errors.ts';
import type { RowSource, SourceWarning } from './row-source.ts';
import { type LineProblem, parseSampleLine } from './sample-lines.ts';
import { openSqliteSource } from './source.ts';

export interface JsonlInput {
  /** names the input in messages: `stdin`, or the file's path */
  readonly name: string;
  /** the bytes; called once */
  open(): Readable;
}

export interface JsonlSourceOptions {
  /** folder of the temporary store: the output's, so the data stays on the disk chosen for it */
  readonly spoolDir: string;
  /** read the temporary store on a second thread, as the SQLite source does */
  readonly readerThread?: boolean;
}

/** What reading the input found: lines, samples, and the lines that were none. */
export interface JsonlReport extends WriteCounts {
  /** lines with text */
  readonly lines: number;
  /** lines that are no training or telemetry sample, by reason */
  readonly invalid: Readonly<Partial<Record<LineProblem, number>>>;
  /** the first few of them, to look at */
  readonly examples: readonly string[];
}

const EXAMPLES = 3;
const PROGRESS_EVERY = 0x3fff;

export function openJsonlSource(input: JsonlInput, options: JsonlSourceOptions): RowSource {
  const description = `JSON Lines ${input.name === 'stdin' ? 'on stdin' : input.name}`;
  let spoolDir: string | undefined;
  let store: RowSource | undefined;
  let report: JsonlReport | undefined;
  let loading: Promise<RowSource> | undefined;

  /** Reads the whole input into the temporary store, once; the counts and the rows come from there. */
  const load = (onRows?: (rows: number) => void): Promise<RowSource> => {
    loading ??= (async () => {
      mkdirSync(options.spoolDir, { recursive: true });
      spoolDir = mkdtempSync(join(options.spoolDir, '.export-spool-'));
      const path = join(spoolDir, 'samples.sqlite');
      report = await spool(input, description, path, onRows);
      refuseWithoutSamples(report, description);
      store = openSqliteSource(path, { readerThread: options.readerThread });
      return store;
    })();
    return loading;
  };

  return {
    description,
    countRows: async (filter) => (await load()).countRows(filter),
    countStates: async (filter, onRows) => (await load(onRows)).countStates(filter),
    async *rows(filter) {
      yield* (await load()).rows(filter);
    },
    warnings: () => (report ? warningsOf(report) : []),
    close() {
      store?.close();
      if (spoolDir !== undefined) rmSync(spoolDir, { recursive: true, force: true });
    },
  };
}

async function spool(
  input: JsonlInput,
  description: string,
  path: string,
  onRows: ((rows: number) => void) | undefined,
): Promise<JsonlReport> {
  const store = SampleStore.open(path, { durability: 'NORMAL' });
  const writer = new BatchedWriter(store);
  const invalid: Partial<Record<LineProblem, number>> = {};
  const examples: string[] = [];
  let lineNumber = 0;
  let lines = 0;
  try {
    const text = createInterface({ input: input.open(), crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of text) {
      lineNumber++;
      if (line.trim() === '') continue;
      lines++;
      const verdict = parseSampleLine(line);
      if (verdict.ok) {
        writer.add({ sample: verdict.sample, source: verdict.source });
      } else {
        invalid[verdict.reason] = (invalid[verdict.reason] ?? 0) + 1;
        if (examples.length < EXAMPLES)
          examples.push(`line ${lineNumber}: ${verdict.reason}: ${verdict.detail}`);
      }
      if (onRows && (lines & PROGRESS_EVERY) === 0) onRows(lines);
    }
    writer.flush();
  } catch (err) {
    const code = lines === 0 ? 'source_unavailable' : 'source_failed';
    throw new ExportError(code, `cannot read ${description}: ${(err as Error).message}`, { cause: err });
  } finally {
    store.close();
  }
  return { lines, ...writer.counts, invalid, examples };
}

/** Invalid lines are left out, as a store leaves out what acquisition refused; all of them is an error. */
function refuseWithoutSamples(report: JsonlReport, description: string): void {
  if (report.inserted > 0) return;
  const found =
    report.lines === 0
      ? 'it holds no lines'
      : `none of its ${report.lines} lines is a training or telemetry sample (${describeInvalid(report)}); ${report.examples[0]}`;
  throw new ExportError('no_rows', `no samples in ${description}: ${found}`);
}

function warningsOf(report: JsonlReport): SourceWarning[] {
  const warnings: SourceWarning[] = [];
  const invalid = Object.values(report.invalid).reduce((sum, n) => sum + n, 0);
  if (invalid > 0) {
    warnings.push({
      message: 'lines that are no training or telemetry sample were left out',
      details: { lines: invalid, of: report.lines, reasons: report.invalid, examples: report.examples },
    });
  }
  if (report.conflicts > 0) {
    warnings.push({
      message: 'samples repeating the pump and time of an earlier one with other values were left out',
      details: { samples: report.conflicts },
    });
  }
  return warnings;
}

function describeInvalid(report: JsonlReport): string {
  return Object.entries(report.invalid)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(', ');
}
