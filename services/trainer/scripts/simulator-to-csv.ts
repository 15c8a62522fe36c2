/**
 * STAND-IN for `pnpm export-training-data`, to be swapped for it when that CLI lands: reads the training
 * simulator's --stdout JSON Lines on stdin, runs the shared FeatureExtractor per pump, and writes the
 * export's CSV (header `ts,pump_id,seq,<FEATURE_NAMES…>,state,health_pct,rul_h,failure_mode`) to stdout,
 * balanced by undersampling every state to the rarest one's count.
 *
 *   pnpm --silent training-simulator --stdout --pumps 800 --weibull-eta 0.0469 --interval-s 1 \
 *     | npx tsx services/trainer/scripts/simulator-to-csv.ts [--seed 1] [--no-balance] > training.csv
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { trainingSampleSchema } from '@pdm/contract';
import { ExportCsvBuilder } from '../src/simulated-data.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    'no-balance': { type: 'boolean', default: false },
  },
});

const builder = new ExportCsvBuilder();
let lines = 0;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
  if (line.trim() === '') continue;
  lines++;
  const { payload } = JSON.parse(line) as { payload: unknown };
  const sample = trainingSampleSchema.safeParse(payload);
  if (!sample.success) {
    console.error(`simulator-to-csv: line ${lines} is not a training sample: ${sample.error.message}`);
    process.exit(1);
  }
  builder.add(sample.data);
}
if (builder.rows === 0) {
  console.error('simulator-to-csv: no samples on stdin (pipe in `pnpm training-simulator --stdout`)');
  process.exit(1);
}

const rows = builder.selectRows(values['no-balance'] ? undefined : { seed: Number(values.seed) });
let chunk = '';
for (const text of builder.lines(rows)) {
  chunk += text;
  if (chunk.length >= 1 << 16) {
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    chunk = '';
  }
}
process.stdout.write(chunk);
console.error(`simulator-to-csv: ${builder.rows} samples in, ${rows.length} rows out`);
