/**
 * Trainer benchmarks for `pnpm bench`. The forest benchmark of packages/forest at the trainer's width:
 * the shared feature list has FEATURE_COUNT (23) features, not the 20 packages/forest uses. And loading a
 * 500k-row export CSV, streamed into typed arrays, against reading it into an object per row.
 *
 *   import { benchTrainer } from '@pdm/trainer/bench';
 *   const suites = { ...simulatorBenchmarks, ...trainerBenchmarks }; // each returns a BenchRow
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUMP_STATES } from '@pdm/contract';
import { FEATURE_COUNT, TRAINING_SET_COLUMNS } from '@pdm/features';
import { Rng } from '@pdm/forest';
import { benchTraining, summarizeTrainingBench, type TrainingBenchSummary } from '@pdm/forest/bench';

/** 500k rows × the default features × 100 trees, ours and scikit-learn's (when a python3 has it). */
export async function benchTrainer(
  options: { rows?: number; trees?: number; sklearn?: boolean } = {},
): Promise<TrainingBenchSummary> {
  const { rows = 500_000, trees = 100, sklearn = true } = options;
  return summarizeTrainingBench(await benchTraining({ rows, features: FEATURE_COUNT, trees, sklearn }));
}

export const CSV_LOAD_TARGET = { seconds: 5, peakRssMb: 300 };

interface LoadResult {
  readonly rows: number;
  readonly seconds: number;
  readonly peakRssMb: number;
}

/** Loads an export-shaped CSV of `rows` rows with the trainer's reader, and the naive way as a baseline. */
export async function benchCsvLoad(rows = 500_000): Promise<TrainingBenchSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'pdm-trainer-bench-'));
  try {
    const path = join(dir, 'export.csv');
    await writeExportCsv(path, rows);
    const megabytes = (await stat(path)).size / 1e6;
    const ours = await load(path, false);
    const naive = await load(path, true).catch((err: Error) => err);
    const describe = (r: LoadResult) => `${r.seconds.toFixed(1)} s, peak RSS ${Math.round(r.peakRssMb)} MB`;
    return {
      benchmark: `trainer CSV load, ${rows.toLocaleString('en-US')} rows × ${TRAINING_SET_COLUMNS.length} columns (${Math.round(megabytes)} MB)`,
      figure: describe(ours),
      target: `≤ ${CSV_LOAD_TARGET.seconds} s, peak RSS ≤ ${CSV_LOAD_TARGET.peakRssMb} MB`,
      baseline:
        naive instanceof Error
          ? `naive read failed: ${naive.message.split('\n')[0]}`
          : `whole file, split, an object per row: ${describe(naive)}`,
      ok:
        ours.rows === rows &&
        ours.seconds <= CSV_LOAD_TARGET.seconds &&
        ours.peakRssMb <= CSV_LOAD_TARGET.peakRssMb,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Numbers shaped like the export's: 4-decimal features, pumps interleaved, all four states. */
async function writeExportCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const rng = new Rng(7);
  const pumps = 1000;
  let chunk = `${TRAINING_SET_COLUMNS.join(',')}\n`;
  for (let i = 0; i < rows; i++) {
    const features = Array.from({ length: FEATURE_COUNT }, (_, f) =>
      (Math.round(rng.next() * 10 ** (1 + (f % 4)) * 1e4) / 1e4).toString(),
    );
    const state = PUMP_STATES[rng.int(PUMP_STATES.length)];
    const pump = `pump-${String(i % pumps).padStart(5, '0')}`;
    chunk += `${1767225600000 + 1000 * Math.floor(i / pumps)},${pump},${Math.floor(i / pumps)},${features.join(',')},${state},${(100 * rng.next()).toFixed(2)},${rng.next().toFixed(3)},CAVITATION\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  await new Promise<void>((resolve, reject) => out.end(chunk, () => resolve()).once('error', reject));
}

function load(path: string, naive: boolean): Promise<LoadResult> {
  const worker = fileURLToPath(new URL('./csv-load-worker.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), worker, '--data', path, ...(naive ? ['--naive'] : [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
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
      if (code === 0) resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult);
      else reject(new Error(`csv-load-worker exited with ${code}: ${stderr.trim()}`));
    });
  });
}

/** For bench/run.ts: `pnpm bench trainer-fit trainer-csv-load`. */
export const trainerBenchmarks: Record<string, () => Promise<TrainingBenchSummary>> = {
  'trainer-fit': () => benchTrainer(),
  'trainer-csv-load': () => benchCsvLoad(),
};
