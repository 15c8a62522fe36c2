/**
 * One CSV load in a fresh process, so peak RSS is this load's alone. Prints one JSON line. Started by
 * benchCsvLoad (train.bench.ts); runnable alone:
 *
 *   npx tsx services/trainer/bench/csv-load-worker.ts --data FILE [--naive]
 *
 * --naive is the baseline: the whole file as a string, split into lines and fields, a number array per row.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FEATURE_NAMES } from '@pdm/features';
import { readTrainingTable } from '../src/table.ts';

const { values } = parseArgs({
  options: { data: { type: 'string' }, naive: { type: 'boolean', default: false } },
});
const path = values.data!;

const start = performance.now();
let rows: number;
if (values.naive) {
  const lines = readFileSync(path, 'utf8').split('\n');
  const header = lines[0]!.split(',');
  const columns = FEATURE_NAMES.map((f) => header.indexOf(f));
  const table = lines
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => {
      const fields = l.split(',');
      return { features: columns.map((c) => Number(fields[c])), state: fields[header.indexOf('state')] };
    });
  rows = table.length;
} else {
  const table = await readTrainingTable(path, { features: FEATURE_NAMES, label: 'state', group: 'pump_id' });
  rows = table.x.rows;
}
const seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({ rows, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
