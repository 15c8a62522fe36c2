/**
 * What the export tells the person or program running it: counts per state before and after balancing,
 * and progress. On a terminal a table and a progress bar on stderr; elsewhere JSON log lines.
 */
import { PUMP_STATES } from '@pdm/contract';
import type { Logger } from '@pdm/service-kit';
import { type StateCounts, totalOf } from './balance.ts';

/** What is known before the pass. Without balancing nothing is counted ahead but the samples, if cheap. */
export interface CountReport {
  readonly source: string;
  readonly range: string;
  /** every sample in the range, labelled or not */
  readonly rows?: number | undefined;
  /** labelled samples per state */
  readonly inRange?: StateCounts | undefined;
  /** samples per state to write */
  readonly targets?: StateCounts | undefined;
}

export interface ExportSummary {
  readonly source: string;
  readonly range: string;
  readonly rows: number;
  readonly inRange: StateCounts;
  readonly targets: StateCounts;
  readonly out: string;
  readonly format: string;
  readonly exported: StateCounts;
  readonly written: number;
  readonly seconds: number;
  /** peak resident memory of the process */
  readonly maxRssMb: number;
}

export type Phase = 'counting' | 'exporting';

export interface ExportReporter {
  /** before the export pass: what is there and what will be written */
  counted(report: CountReport): void;
  /** rows read so far; total when known. Called often: a reporter throttles itself. */
  progress(phase: Phase, done: number, total?: number): void;
  finished(summary: ExportSummary): void;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function countsTable(inRange: StateCounts, other: StateCounts, otherTitle: string): string {
  const rows = [
    ['state', 'in range', otherTitle],
    ...PUMP_STATES.map((s) => [s, fmt(inRange[s]), fmt(other[s])]),
    ['total', fmt(totalOf(inRange)), fmt(totalOf(other))],
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  return rows
    .map(
      ([state, a, b]) =>
        `  ${(state as string).padEnd(widths[0] as number)}  ${(a as string).padStart(widths[1] as number)}  ${(b as string).padStart(widths[2] as number)}`,
    )
    .join('\n');
}

export interface Terminal {
  write(text: string): unknown;
  readonly columns?: number;
}

const REDRAW_MS = 100;

/** Tables and a progress bar for a person at a terminal. */
export function terminalReporter(
  term: Terminal,
  now: () => number = () => performance.now(),
): ExportReporter {
  let lastDraw = Number.NEGATIVE_INFINITY;
  let started = now();
  let drawn = false;
  let phase: Phase | undefined;
  const clear = () => {
    if (drawn) term.write('\r\x1b[2K');
    drawn = false;
  };
  return {
    counted(r) {
      clear();
      const all = r.rows === undefined ? '' : ` (${fmt(r.rows)} samples in all)`;
      if (r.inRange === undefined || r.targets === undefined) {
        term.write(`Exporting every labelled sample in ${r.source}, ${r.range}${all}\n`);
      } else {
        term.write(
          `Labelled samples in ${r.source}, ${r.range}${all}:\n${countsTable(r.inRange, r.targets, 'to write')}\n`,
        );
      }
    },
    progress(next, done, total) {
      if (next !== phase) {
        phase = next;
        started = now();
      }
      const t = now();
      if (t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      const seconds = ((t - started) / 1000).toFixed(1);
      let line: string;
      if (total === undefined || total === 0) {
        line = `${next} … ${fmt(done)} samples  ${seconds} s`;
      } else {
        const share = Math.min(1, done / total);
        const width = Math.max(10, Math.min(40, (term.columns ?? 80) - 60));
        const filled = Math.round(share * width);
        line =
          `${next} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)} %` +
          `  ${fmt(done)} / ${fmt(total)} samples  ${seconds} s`;
      }
      term.write(`\r\x1b[2K${line}`);
      drawn = true;
    },
    finished(s) {
      clear();
      term.write(
        `Wrote ${fmt(s.written)} rows (${s.format}) in ${s.seconds.toFixed(1)} s, peak memory ${s.maxRssMb} MB:\n` +
          `${countsTable(s.inRange, s.exported, 'written')}\n`,
      );
    },
  };
}

/** JSON log lines, for programs and log collectors. */
export function logReporter(logger: Logger): ExportReporter {
  return {
    counted: (r) =>
      logger.info(r, r.inRange ? 'labelled samples in range' : 'exporting every labelled sample'),
    progress: () => {},
    finished: (s) => logger.info(s, 'export complete'),
  };
}
