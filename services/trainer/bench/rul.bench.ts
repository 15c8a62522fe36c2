/**
 * Remaining-useful-life regression for `pnpm bench`: our forest regressor against scikit-learn's
 * RandomForestRegressor(n_jobs=1), same group split and hyperparameters, both measured in the same run.
 * Targets: held-out RMSE at most 3 % above scikit-learn's, and fitting no slower. Two data sets:
 *
 * - the simulator's held-out pumps, data made as the README's recipe makes it (STRESS clock, three
 *   lifecycles per pump, chaos), fewer pumps so the bench stays short;
 * - NASA's C-MAPSS FD001 (public run-to-failure data this project was not built on) when CMAPSS_FD001
 *   names its train_FD001.txt; skipped with the reason otherwise, since the data is not in the repository.
 *
 *   import { benchRulCmapss, benchRulSimulator } from '@pdm/trainer/bench/rul';
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEATURE_NAMES } from '@pdm/features';
import type { TrainingBenchSummary } from '@pdm/forest/bench';
import {
  compareRegression,
  type RegressionComparison,
  type RegressionComparisonOptions,
  RMSE_TOLERANCE_PERCENT,
  rmseExcessPercent,
} from '../scripts/compare-regression.ts';
import { CMAPSS_FEATURES, CMAPSS_LABEL_MAX, cmapssToCsv } from '../scripts/prepare-cmapss.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** A STRESS-clock life lasts ~150 s (0.042 h); RUL above 0.03 h (108 s) counts as "healthy, at least that". */
export const SIMULATOR_LABEL_MAX_H = 0.03;

/** The README's training recipe with `pumps` pumps, into a CSV; returns its path. */
async function simulatorCsv(dir: string, pumps: number): Promise<string> {
  const out = join(dir, 'training.csv');
  const pipeline =
    `pnpm --silent training-simulator --stdout --pumps ${pumps} --seed 2026 --weibull-beta 2 ` +
    '--weibull-eta 0.0469 --interval-s 1 --post-failure-samples 15 --lifecycles 3 --chaos --log-level warn ' +
    `| pnpm --silent export-training-data --source jsonl --input - --seed 2026 --out ${out} --log-level warn`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', pipeline], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`training data pipeline exited with ${code}: ${stderr.trim()}`)),
    );
  });
  return out;
}

export async function benchRulSimulator(pumps = 200): Promise<TrainingBenchSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'pdm-trainer-rul-bench-'));
  try {
    const data = await simulatorCsv(dir, pumps);
    const options = {
      data,
      label: 'rul_h',
      labelMax: SIMULATOR_LABEL_MAX_H,
      features: FEATURE_NAMES,
      group: 'pump_id',
    } satisfies RegressionComparisonOptions;
    return summarize(
      `RUL regression, simulator (${pumps} pumps × 3 lives, STRESS clock), rul_h ≤ ${SIMULATOR_LABEL_MAX_H} h`,
      'h',
      await compareRegression(options),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `trainFd001`: the path of train_FD001.txt (bench/ml.bench.ts passes $CMAPSS_FD001), or undefined. */
export async function benchRulCmapss(trainFd001: string | undefined): Promise<TrainingBenchSummary> {
  const name = `RUL regression, NASA C-MAPSS FD001, rul ≤ ${CMAPSS_LABEL_MAX} cycles`;
  if (!trainFd001) {
    return {
      benchmark: name,
      figure: 'skipped',
      target: '',
      baseline: 'set CMAPSS_FD001=/path/to/train_FD001.txt (NASA data, not in this repository)',
      ok: undefined,
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'pdm-trainer-cmapss-bench-'));
  try {
    const data = join(dir, 'fd001.csv');
    await writeFile(data, cmapssToCsv(await readFile(trainFd001, 'utf8')));
    const comparison = await compareRegression({
      data,
      label: 'rul',
      labelMax: CMAPSS_LABEL_MAX,
      features: CMAPSS_FEATURES,
      group: 'pump_id',
    });
    return summarize(name, 'cycles', comparison);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function summarize(name: string, unit: string, c: RegressionComparison): TrainingBenchSummary {
  const p = (x: number) => `${Number(x.toPrecision(4))} ${unit}`;
  const describe = (f: RegressionComparison['forest']) =>
    `RMSE ${p(f.rmse)}, MAE ${p(f.mae)}, R² ${f.r2.toFixed(3)}, fit ${f.fitSeconds.toFixed(1)} s`;
  const excess = rmseExcessPercent(c);
  return {
    benchmark: `${name}, ${c.rows.toLocaleString('en-US')} rows, 100 trees`,
    figure: describe(c.forest),
    target: `RMSE ≤ scikit-learn + ${RMSE_TOLERANCE_PERCENT} %, fit ≤ scikit-learn (n_jobs=1)`,
    baseline: c.sklearn
      ? `scikit-learn ${describe(c.sklearn)} (ours ${excess! >= 0 ? '+' : ''}${excess!.toFixed(2)} %)`
      : `scikit-learn skipped: ${c.skipped}`,
    ok: c.sklearn
      ? excess! <= RMSE_TOLERANCE_PERCENT && c.forest.fitSeconds <= c.sklearn.fitSeconds
      : undefined,
  };
}
