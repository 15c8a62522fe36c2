/**
 * Training benchmark: our forest against scikit-learn's RandomForestClassifier(n_jobs=1) on the same
 * synthetic data. Each side runs in its own fresh process, so peak RSS is comparable. For `pnpm bench`:
 *
 *   import { benchTraining, summarizeTrainingBench } from '@pdm/forest/bench';
 *   const bench = await benchTraining({ rows: 500_000, features: 20, trees: 100 });
 *   const row = summarizeTrainingBench(bench); // { benchmark, figure, target, baseline, ok }
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASELINE_SCRIPT, findPythonWith } from '../scripts/python.ts';

/** extra rows drawn with the training set and held out, to show accuracy holds at speed */
export const HELD_OUT_ROWS = 20_000;

export interface TrainingBenchOptions {
  readonly rows: number;
  readonly features: number;
  readonly trees: number;
  readonly classes?: number;
  readonly seed?: number;
  /** also time scikit-learn when a python3 with it is found (default true) */
  readonly sklearn?: boolean;
}

export interface WorkerResult {
  readonly fitSeconds: number;
  readonly peakRssMb: number;
  readonly accuracy: number;
  readonly nodes: number;
}

export interface TrainingBenchRow extends WorkerResult {
  readonly implementation: '@pdm/forest' | 'scikit-learn';
  readonly rows: number;
  readonly features: number;
  readonly trees: number;
}

export interface TrainingBench {
  readonly rows: readonly TrainingBenchRow[];
  /** why scikit-learn is missing from `rows`, if it is */
  readonly skipped?: string;
}

export async function benchTraining(options: TrainingBenchOptions): Promise<TrainingBench> {
  const { rows, features, trees, classes = 4, seed = 0, sklearn = true } = options;
  const probe = sklearn ? findPythonWith(['sklearn', 'numpy']) : { reason: 'not requested' };
  const dir = await mkdtemp(join(tmpdir(), 'pdm-forest-bench-'));
  try {
    const worker = fileURLToPath(new URL('./train-worker.ts', import.meta.url));
    const ours = JSON.parse(
      await run(process.execPath, [
        '--import',
        import.meta.resolve('tsx'),
        worker,
        ...['--rows', String(rows), '--features', String(features), '--trees', String(trees)],
        ...['--classes', String(classes), '--seed', String(seed)],
        ...('python' in probe ? ['--npy-dir', dir] : []),
      ]),
    ) as WorkerResult;
    const shape = { rows, features, trees };
    const result: TrainingBenchRow[] = [{ implementation: '@pdm/forest', ...shape, ...ours }];
    if (!('python' in probe)) return { rows: result, skipped: probe.reason };
    const theirs = JSON.parse(
      await run(probe.python, [
        BASELINE_SCRIPT,
        '--npy',
        dir,
        '--n-estimators',
        String(trees),
        '--seed',
        String(seed),
        '--json',
      ]),
    ) as WorkerResult;
    result.push({ implementation: 'scikit-learn', ...shape, ...theirs });
    return { rows: result };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The targets from the brief: train no slower than scikit-learn (n_jobs=1), within 2 GB of memory. */
export const PEAK_RSS_TARGET_MB = 2048;

/** One row in the shape the root `pnpm bench` table prints (bench/table.ts BenchRow). */
export interface TrainingBenchSummary {
  readonly benchmark: string;
  readonly figure: string;
  readonly target: string;
  readonly baseline?: string;
  readonly ok: boolean | undefined;
}

export function summarizeTrainingBench(bench: TrainingBench): TrainingBenchSummary {
  const describe = (r: TrainingBenchRow) =>
    `${r.fitSeconds.toFixed(1)} s, peak RSS ${Math.round(r.peakRssMb)} MB, held-out accuracy ${(100 * r.accuracy).toFixed(2)} %`;
  const ours = bench.rows.find((r) => r.implementation === '@pdm/forest');
  const theirs = bench.rows.find((r) => r.implementation === 'scikit-learn');
  if (!ours) throw new Error('benchmark has no @pdm/forest row');
  const withinMemory = ours.peakRssMb <= PEAK_RSS_TARGET_MB;
  return {
    benchmark: `forest training, ${ours.rows.toLocaleString('en-US')} rows × ${ours.features} features × ${ours.trees} trees`,
    figure: describe(ours),
    target: `fit ≤ scikit-learn (n_jobs=1), peak RSS ≤ ${PEAK_RSS_TARGET_MB} MB`,
    baseline: theirs ? `scikit-learn ${describe(theirs)}` : `scikit-learn skipped: ${bench.skipped}`,
    ok: theirs ? withinMemory && ours.fitSeconds <= theirs.fitSeconds : withinMemory ? undefined : false,
  };
}

/** Runs a command to completion and returns the last line of its stdout. */
function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(stdout.trim().split('\n').at(-1) ?? '');
      else reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`));
    });
  });
}
