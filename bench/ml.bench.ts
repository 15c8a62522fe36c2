/**
 * Issue 3, 4 and 14 figures: export of a million stored rows, training at scale against scikit-learn, and
 * remaining-useful-life regression against scikit-learn on simulator data and on NASA's C-MAPSS FD001
 * (when CMAPSS_FD001 names its train_FD001.txt).
 */
import { benchExport } from '@pdm/export-training-data/bench';
import { benchTrainer } from '@pdm/trainer/bench';
import { benchRulCmapss, benchRulSimulator } from '@pdm/trainer/bench/rul';
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

export const mlBenchmarks = {
  exportCsv,
  training,
  rulSimulator: () => benchRulSimulator(),
  rulCmapss: () => benchRulCmapss(process.env.CMAPSS_FD001),
};
