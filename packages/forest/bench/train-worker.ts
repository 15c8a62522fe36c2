/**
 * One training measurement in a fresh process, so peak RSS is this run's and nobody else's. Prints one JSON
 * line. Started by benchTraining (train.bench.ts); runnable alone:
 *
 *   npx tsx packages/forest/bench/train-worker.ts --rows 500000 --features 20 --trees 100 [--npy-dir DIR]
 */
import { parseArgs } from 'node:util';
import { writeNpy } from '../scripts/npy.ts';
import { accuracy } from '../src/metrics.ts';
import { ForestModel } from '../src/model.ts';
import { makeClassification } from '../src/synthetic.ts';
import { HELD_OUT_ROWS, type WorkerResult } from './train.bench.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string' },
    features: { type: 'string' },
    trees: { type: 'string' },
    classes: { type: 'string', default: '4' },
    seed: { type: 'string', default: '0' },
    'npy-dir': { type: 'string' },
  },
});
const rows = Number(values.rows);
const features = Number(values.features);
const trees = Number(values.trees);
const classes = Number(values.classes);
const seed = Number(values.seed);

// one draw, split afterwards, so held-out rows come from the same clusters as the training rows
const all = makeClassification({
  rows: rows + HELD_OUT_ROWS,
  features,
  informative: Math.min(features, 8),
  redundant: Math.min(Math.max(0, features - 8), 4),
  classes,
  flipY: 0.03,
  seed,
});
const x = { data: all.x.data.subarray(0, rows * features), rows, cols: features };
const xTest = { data: all.x.data.subarray(rows * features), rows: HELD_OUT_ROWS, cols: features };
const labels = Array.from(all.y.subarray(0, rows), (c) => `c${c}`);
const truth = Array.from(all.y.subarray(rows), (c) => `c${c}`);

const npyDir = values['npy-dir'];
if (npyDir) {
  writeNpy(`${npyDir}/x_train.npy`, x.data, [rows, features]);
  writeNpy(`${npyDir}/y_train.npy`, all.y.subarray(0, rows), [rows]);
  writeNpy(`${npyDir}/x_test.npy`, xTest.data, [HELD_OUT_ROWS, features]);
  writeNpy(`${npyDir}/y_test.npy`, all.y.subarray(rows), [HELD_OUT_ROWS]);
}

const start = performance.now();
const model = ForestModel.train(x, labels, { nTrees: trees, seed });
const fitSeconds = (performance.now() - start) / 1000;
const result: WorkerResult = {
  fitSeconds,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
  accuracy: accuracy(truth, model.predict(xTest)),
  nodes: model.forest.trees.reduce((n, t) => n + t.feature.length, 0),
};
console.log(JSON.stringify(result));
