/** Issue 3 and 4 figures: export of a million stored rows, and training at scale against scikit-learn. */
import { benchExport } from '@pdm/export-training-data/bench';
import { benchTrainer } from '@pdm/trainer/bench';
import { type BenchRow, formatNumber } from './table.ts';

async function exportCsv(): Promise<BenchRow> {
  const r = await benchExport({ rows: 1_000_000 });
  return {
    benchmark: `export of ${formatNumber(r.rows)} stored rows to CSV (every row, features computed)`,
    figure: `${r.seconds.toFixed(1)} s, peak RSS ${Math.round(r.peakRssMb)} MB`,
    target: '≤ 10 s, ≤ 300 MB',
    ok: r.seconds <= 10 && r.peakRssMb <= 300,
  };
}

async function training(): Promise<BenchRow> {
  return benchTrainer({ rows: 500_000, trees: 100 });
}

export const mlBenchmarks = { exportCsv, training };
