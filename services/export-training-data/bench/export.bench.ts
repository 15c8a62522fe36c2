/**
 * Export benchmark: a 1,000,000-sample SQLite store exported to CSV by the CLI as a child process, so
 * time and memory are the CLI's own. Target: at most 10 s and 300 MB peak RSS on the 2-core machine.
 * `tsx services/export-training-data/bench/export.bench.ts` runs it and prints the figures.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '@pdm/testkit';
import { fillStore, labelledFleet } from '../src/fixtures.ts';

export interface ExportBenchResult {
  /** samples read from the store */
  readonly rows: number;
  /** wall time of the whole CLI process, start-up included */
  readonly seconds: number;
  /** peak resident memory of the CLI process */
  readonly peakRssMb: number;
}

export interface ExportBenchOptions {
  readonly rows?: number;
  /** CLI flags; by default every row is written (`--balance none`), the heaviest export */
  readonly args?: readonly string[];
}

const TIME = '/usr/bin/time';

export async function benchExport({
  rows = 1_000_000,
  args = ['--balance', 'none'],
}: ExportBenchOptions = {}): Promise<ExportBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-export-bench-'));
  try {
    const store = join(dir, 'pdm.sqlite');
    // Long lifecycles (η 1000 h at 10 min) give about 190 pumps of ~5,000 samples: a realistic mix of states.
    const stored = fillStore(store, labelledFleet({ pumps: 400, etaH: 1000, maxSamples: rows }));
    const out = join(dir, 'training.csv');
    const cli = [
      join(REPO_ROOT, 'node_modules/.bin/tsx'),
      join(REPO_ROOT, 'services/export-training-data/src/main.ts'),
    ];
    const withTime = existsSync(TIME);
    const command = withTime ? [TIME, '-v', ...cli] : cli;
    const started = performance.now();
    const { code, stderr } = await run(command, [...args, '--sqlite-path', store, '--out', out], dir);
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0 || !existsSync(out)) throw new Error(`export failed (${code}):\n${stderr.slice(-3000)}`);
    const summary = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; rows?: number; maxRssMb?: number })
      .find((l) => l.msg === 'export complete');
    if (summary?.rows !== stored) throw new Error(`the export read ${summary?.rows} of ${stored} samples`);
    // time -v measures the CLI's process from outside; the CLI reports its own peak too.
    const timeKb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
    const peakRssMb = Math.max(
      summary.maxRssMb ?? 0,
      timeKb === undefined ? 0 : Math.round(Number(timeKb) / 1024),
    );
    process.stderr.write(`export bench: ${(statSync(out).size / 2 ** 20).toFixed(0)} MB of CSV written\n`);
    return { rows: stored, seconds: Math.round(seconds * 100) / 100, peakRssMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(
  command: readonly string[],
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, [...command.slice(1), ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const args of [['--balance', 'none'], []]) {
    const result = await benchExport({ args });
    const ok = result.seconds <= 10 && result.peakRssMb <= 300;
    console.log(
      `export ${args.join(' ') || '(undersample)'}: ${result.rows.toLocaleString('en-US')} samples in ${result.seconds} s, ` +
        `peak RSS ${result.peakRssMb} MB (target ≤ 10 s, ≤ 300 MB): ${ok ? 'ok' : 'MISSED'}`,
    );
  }
}
