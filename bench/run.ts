/**
 * `pnpm bench [name…]`: runs the benchmarks and prints one table. Figures are measured on this machine,
 * now, with their baselines in the same run; they are never asserted in tests.
 */
import { cpus, totalmem } from 'node:os';
import { acquisitionBenchmarks } from './acquisition.bench.ts';
import { dashboardBenchmarks } from './dashboard.bench.ts';
import { dashboardBrowserBenchmarks } from './dashboard-browser.bench.ts';
import { fleetBenchmarks } from './fleet.bench.ts';
import { gatewayBenchmarks } from './gateway.bench.ts';
import { inferenceBenchmarks } from './inference.bench.ts';
import { inferenceMemoryBenchmarks } from './inference-memory.bench.ts';
import { mlBenchmarks } from './ml.bench.ts';
import { simulatorBenchmarks } from './simulators.bench.ts';
import { storeBenchmarks } from './store.bench.ts';
import { type BenchRow, renderTable } from './table.ts';

const suites: Record<string, () => Promise<BenchRow | BenchRow[]>> = {
  ...simulatorBenchmarks,
  ...acquisitionBenchmarks,
  ...gatewayBenchmarks,
  ...fleetBenchmarks,
  ...storeBenchmarks,
  ...mlBenchmarks,
  ...inferenceBenchmarks,
  ...inferenceMemoryBenchmarks,
  ...dashboardBenchmarks,
  ...dashboardBrowserBenchmarks,
};

const wanted = process.argv.slice(2).filter((a) => a !== '--');
if (wanted.includes('--help')) {
  console.log(
    `Usage: pnpm bench [name…]\n\nBenchmarks: ${Object.keys(suites).join(', ')}\nWith no name, runs them all.`,
  );
  process.exit(0);
}
const unknown = wanted.filter((w) => !(w in suites));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  process.exit(2);
}

const rows: BenchRow[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stderr.write(`running ${name}…\n`);
  try {
    rows.push(...[await run()].flat());
  } catch (err) {
    rows.push({
      benchmark: name,
      figure: 'failed',
      target: '',
      baseline: (err as Error).message.split('\n')[0],
      ok: false,
    });
  }
}
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `\nMachine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`,
);
console.log(renderTable(rows));
process.exitCode = rows.some((r) => r.figure === 'failed') ? 1 : 0;
