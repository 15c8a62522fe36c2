/**
 * Times training on N rows × F features × T trees, ours and scikit-learn's, and prints both.
 *
 *   npx tsx packages/forest/scripts/train-bench.ts [--rows 500000] [--features 20] [--trees 100]
 *     [--classes 4] [--seed 0] [--no-sklearn]
 */
import { parseArgs } from 'node:util';
import { benchTraining, summarizeTrainingBench } from '../bench/train.bench.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '500000' },
    features: { type: 'string', default: '20' },
    trees: { type: 'string', default: '100' },
    classes: { type: 'string', default: '4' },
    seed: { type: 'string', default: '0' },
    'no-sklearn': { type: 'boolean', default: false },
  },
});

const bench = await benchTraining({
  rows: Number(values.rows),
  features: Number(values.features),
  trees: Number(values.trees),
  classes: Number(values.classes),
  seed: Number(values.seed),
  sklearn: !values['no-sklearn'],
});
if (bench.skipped) console.log(`scikit-learn skipped: ${bench.skipped}`);
console.table(
  bench.rows.map((r) => ({
    implementation: r.implementation,
    'rows × features × trees': `${r.rows} × ${r.features} × ${r.trees}`,
    'fit s': r.fitSeconds.toFixed(1),
    'peak RSS MB': Math.round(r.peakRssMb),
    'held-out accuracy %': (100 * r.accuracy).toFixed(2),
    'tree nodes': r.nodes,
  })),
);
const summary = summarizeTrainingBench(bench);
console.log(
  `target: ${summary.target} → ${summary.ok === undefined ? 'no baseline' : summary.ok ? 'met' : 'MISSED'}`,
);
