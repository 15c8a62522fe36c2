/**
 * Wires the export: count where balancing needs it, one streaming pass through the features and the
 * sampler into a file that is renamed into place only when complete.
 */
import type { Logger } from '@pdm/service-kit';
import { classTargets, everyRow, SelectionSampler, type StateCounts, totalOf } from './balance.ts';
import { ExportError } from './errors.ts';
import { rowFormat } from './format.ts';
import type { BalanceMode, OutputFormat } from './options.ts';
import { AtomicOutput } from './output.ts';
import { writeTrainingRows } from './pipeline.ts';
import type { ExportReporter, ExportSummary } from './report.ts';
import type { RowFilter, RowSource } from './row-source.ts';
import { describeRange } from './time-range.ts';

export interface ExportSettings {
  readonly filter: RowFilter;
  readonly balance: BalanceMode;
  readonly maxPerClass?: number | undefined;
  readonly seed: number;
  readonly format: OutputFormat;
  /** absolute path of the file to write */
  readonly out: string;
}

export interface ExportDeps {
  /** opens the source; throws ExportError source_unavailable when it cannot */
  readonly openSource: () => RowSource;
  readonly reporter: ExportReporter;
  readonly logger: Logger;
  /** peak resident memory so far, for the summary */
  readonly maxRssMb: () => number;
  readonly now?: () => number;
}

export interface Export {
  /** resolves with the summary once the file is in place; rejects with an ExportError */
  start(): Promise<ExportSummary>;
  /** stops the pass at its next checkpoint; start() then rejects with `aborted` and removes its file */
  stop(): void;
}

interface Plan {
  /** every sample in the range, when known before the pass */
  readonly rows: number | undefined;
  /** labelled samples per state, when counted before the pass */
  readonly inRange: StateCounts | undefined;
  readonly sampler: SelectionSampler;
}

export function createExport(settings: ExportSettings, deps: ExportDeps): Export {
  const abort = new AbortController();
  const now = deps.now ?? (() => performance.now());
  const log = deps.logger.child({ component: 'export' });
  const range = describeRangeAndPumps(settings.filter);

  const checkAborted = () => {
    if (abort.signal.aborted) throw new ExportError('aborted', 'export interrupted');
  };
  const noRows = (source: RowSource, rows: number | undefined) => {
    const unlabelled = rows ? ` (only ${rows} unlabelled samples, which have no ground truth)` : '';
    return new ExportError('no_rows', `no labelled samples in ${source.description} ${range}${unlabelled}`);
  };

  /**
   * Selection needs the counts per state before the pass. Without it (every row, no cap) the pass
   * counts them itself, which spares InfluxDB a whole extra query and SQLite a full table scan.
   */
  async function plan(source: RowSource): Promise<Plan> {
    const selecting = settings.balance === 'undersample' || settings.maxPerClass !== undefined;
    if (!selecting) {
      const rows = await source.countRows(settings.filter);
      if (rows === 0) throw noRows(source, 0);
      deps.reporter.counted({ source: source.description, range, rows });
      return {
        rows,
        inRange: undefined,
        sampler: new SelectionSampler(everyRow(), everyRow(), settings.seed),
      };
    }
    const counts = await source.countStates(settings.filter, (rows) =>
      deps.reporter.progress('counting', rows),
    );
    checkAborted();
    if (totalOf(counts.labelled) === 0) throw noRows(source, counts.rows);
    const targets = classTargets(counts.labelled, settings.balance, settings.maxPerClass);
    deps.reporter.counted({
      source: source.description,
      range,
      rows: counts.rows,
      inRange: counts.labelled,
      targets,
    });
    return {
      rows: counts.rows,
      inRange: counts.labelled,
      sampler: new SelectionSampler(counts.labelled, targets, settings.seed),
    };
  }

  async function start(): Promise<ExportSummary> {
    const began = now();
    const source = deps.openSource();
    try {
      const { rows, inRange, sampler } = await plan(source);
      for (const warning of source.warnings?.() ?? []) log.warn(warning.details, warning.message);
      const output = await AtomicOutput.create(settings.out);
      try {
        const format = rowFormat(settings.format);
        output.write(format.header);
        const pass = await writeTrainingRows(source.rows(settings.filter), {
          sampler,
          format,
          sink: output,
          signal: abort.signal,
          onProgress: (done) => deps.reporter.progress('exporting', done, rows),
        });
        const seen = sampler.offered;
        if (totalOf(seen) === 0) throw noRows(source, pass.rows);
        if (pass.outOfOrder > 0) {
          log.warn(
            { samples: pass.outOfOrder },
            'labelled samples not newer than their pump’s previous one were left out',
          );
        }
        if (rows !== undefined && pass.rows !== rows) {
          // Acquisition may write while we read; the sampler still meets its targets where rows allow.
          log.warn({ counted: rows, read: pass.rows }, 'the store changed between the count and the export');
        }
        await output.commit();
        const exported = sampler.kept;
        const summary: ExportSummary = {
          source: source.description,
          range,
          rows: pass.rows,
          inRange: inRange ?? seen,
          targets: inRange === undefined ? exported : sampler.targets,
          out: settings.out,
          format: settings.format,
          exported,
          written: totalOf(exported),
          seconds: Math.round(now() - began) / 1000,
          maxRssMb: deps.maxRssMb(),
        };
        deps.reporter.finished(summary);
        return summary;
      } catch (err) {
        await output.discard();
        throw err;
      }
    } finally {
      source.close();
    }
  }

  return { start, stop: () => abort.abort() };
}

function describeRangeAndPumps(filter: RowFilter): string {
  const pumps = filter.pumps === undefined ? '' : ` for pumps ${filter.pumps.join(', ')}`;
  return `${describeRange(filter)}${pumps}`;
}
