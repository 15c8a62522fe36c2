/** A benchmark result row and the table `pnpm bench` prints. */

export interface BenchRow {
  readonly benchmark: string;
  readonly figure: string;
  /** the target from the issue, e.g. `≥ 200,000 samples/s` */
  readonly target: string;
  /** the comparison measured in the same run, when there is one */
  readonly baseline?: string;
  readonly ok: boolean | undefined;
}

export function formatNumber(x: number, digits = 0): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function renderTable(rows: readonly BenchRow[]): string {
  const header = ['benchmark', 'result', 'target', 'baseline (same run)', ''];
  const cells = rows.map((r) => [
    r.benchmark,
    r.figure,
    r.target,
    r.baseline ?? '',
    r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
