/**
 * Our trainer against scikit-learn on the same training CSV: same group split (the trainer's own, by
 * pump), same hyperparameters, one split and forest seed per repeat. Exits 1 when the mean held-out
 * accuracies differ by more than --tolerance points; for --task regression, when our mean RMSE is more
 * than --rmse-tolerance (3 %) above scikit-learn's (RandomForestRegressor, n_jobs=1).
 *
 *   npx tsx services/trainer/scripts/compare-sklearn.ts [--data data/pump-state-training.csv] [--repeats 3]
 *     [--trees 100] [--max-depth N] [--min-samples-leaf 5] [--max-features sqrt] [--test-fraction 0.2]
 *     [--label state] [--group pump_id] [--tolerance 1]
 *     [--task regression --label rul_h --label-max X --rmse-tolerance 3]
 *
 * The data is what services/trainer/scripts/train-shipped-model.sh leaves in data/; the scikit-learn side
 * is packages/forest/scripts/sklearn-baseline.py, fed the exact float64 arrays through .npy files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FEATURE_NAMES } from '@pdm/features';
import {
  classificationReport,
  ForestModel,
  type MaxFeatures,
  RegressionModel,
  regressionScores,
  selectRows,
} from '@pdm/forest';
import { findPythonWith, runBaseline, runRegressionBaseline, writeNpy } from '@pdm/forest/scripts';
import { groupSplit } from '../src/group-split.ts';
import { readTrainingTable } from '../src/table.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: 'data/pump-state-training.csv' },
    repeats: { type: 'string', default: '3' },
    trees: { type: 'string', default: '100' },
    'max-depth': { type: 'string' },
    'min-samples-leaf': { type: 'string', default: '5' },
    'max-features': { type: 'string', default: 'sqrt' },
    'test-fraction': { type: 'string', default: '0.2' },
    task: { type: 'string', default: 'classification' },
    label: { type: 'string' },
    'label-max': { type: 'string' },
    'rmse-tolerance': { type: 'string', default: '3' },
    group: { type: 'string', default: 'pump_id' },
    features: { type: 'string', default: FEATURE_NAMES.join(',') },
    tolerance: { type: 'string', default: '1' },
  },
});

const maxFeaturesArg = values['max-features']!;
const maxFeatures = (
  ['sqrt', 'log2', 'all'].includes(maxFeaturesArg) ? maxFeaturesArg : Number(maxFeaturesArg)
) as MaxFeatures;
const nTrees = Number(values.trees);
const maxDepth = values['max-depth'] ? Number(values['max-depth']) : null;
const minSamplesLeaf = Number(values['min-samples-leaf']);
const testFraction = Number(values['test-fraction']);
const features = values.features!.split(',').map((f) => f.trim());
const regression = values.task === 'regression';
const label = values.label ?? (regression ? 'rul_h' : 'state');
const labelMax = values['label-max'] === undefined ? Number.POSITIVE_INFINITY : Number(values['label-max']);

const table = await readTrainingTable(values.data!, {
  features,
  label,
  labelType: regression ? 'number' : 'class',
  group: values.group!,
});
const classes = table.labels.names;
// the trainer's clip (--label-max), so both sides learn the same target
const targets = table.targets?.map((v) => Math.min(v, labelMax)) ?? new Float64Array(0);
const probe = findPythonWith(['sklearn', 'numpy']);
if ('reason' in probe) console.warn(`scikit-learn side skipped: ${probe.reason}`);

const dir = mkdtempSync(join(tmpdir(), 'pdm-trainer-compare-'));
const rows: Record<string, string | number>[] = [];
/** accuracy per repeat; RMSE for a regression */
const ours: number[] = [];
const theirs: number[] = [];
const oursMae: number[] = [];
const theirsMae: number[] = [];
const oursFit: number[] = [];
const theirsFit: number[] = [];

/** One repeat of a regression: our forest and scikit-learn's on the same rows, targets and seed. */
function compareRegression(
  seed: number,
  xTrain: ReturnType<typeof selectRows<Float64Array>>,
  xTest: ReturnType<typeof selectRows<Float64Array>>,
  train: Int32Array,
  test: Int32Array,
): Record<string, string | number> {
  const yTrain = Float64Array.from(train, (i) => targets[i]!);
  const yTest = Float64Array.from(test, (i) => targets[i]!);
  const started = performance.now();
  const model = RegressionModel.train(xTrain, yTrain, {
    nTrees,
    maxDepth,
    minSamplesLeaf,
    maxFeatures,
    seed,
  });
  const fitSeconds = (performance.now() - started) / 1000;
  const scores = regressionScores(yTest, model.predict(xTest));
  ours.push(scores.rmse);
  oursMae.push(scores.mae);
  oursFit.push(fitSeconds);
  const row: Record<string, string | number> = {
    seed,
    'train / test rows': `${train.length} / ${test.length}`,
    'forest RMSE': scores.rmse.toPrecision(5),
    'forest MAE': scores.mae.toPrecision(5),
    'forest R²': scores.r2.toFixed(4),
    'forest fit s': fitSeconds.toFixed(2),
  };
  if (!('python' in probe)) return row;
  writeNpy(join(dir, 'x_train.npy'), xTrain.data, [xTrain.rows, xTrain.cols]);
  writeNpy(join(dir, 'x_test.npy'), xTest.data, [xTest.rows, xTest.cols]);
  writeNpy(join(dir, 'y_train.npy'), yTrain, [yTrain.length]);
  writeNpy(join(dir, 'y_test.npy'), yTest, [yTest.length]);
  const result = runRegressionBaseline(probe.python, [
    '--npy',
    dir,
    '--seed',
    String(seed),
    '--n-estimators',
    String(nTrees),
    '--min-samples-leaf',
    String(minSamplesLeaf),
    '--max-features',
    maxFeaturesArg,
    ...(maxDepth === null ? [] : ['--max-depth', String(maxDepth)]),
  ]);
  theirs.push(result.rmse);
  theirsMae.push(result.mae);
  theirsFit.push(result.fitSeconds);
  return {
    ...row,
    'sklearn RMSE': result.rmse.toPrecision(5),
    'sklearn MAE': result.mae.toPrecision(5),
    'sklearn R²': result.r2.toFixed(4),
    'sklearn fit s': result.fitSeconds.toFixed(2),
    'RMSE Δ %': (100 * (scores.rmse / result.rmse - 1)).toFixed(2),
  };
}
try {
  for (let seed = 0; seed < Number(values.repeats); seed++) {
    const split = groupSplit({
      labels: table.labels.codes,
      classNames: classes,
      groups: table.groups!.codes,
      groupNames: table.groups!.names,
      groupColumn: values.group!,
      testFraction,
      seed,
    });
    const xTrain = selectRows(table.x, split.train);
    const xTest = selectRows(table.x, split.test);
    if (regression) {
      rows.push(compareRegression(seed, xTrain, xTest, split.train, split.test));
      continue;
    }
    const yTrain = Array.from(split.train, (i) => classes[table.labels.codes[i]!]!);
    const yTest = Array.from(split.test, (i) => classes[table.labels.codes[i]!]!);

    const started = performance.now();
    const model = ForestModel.train(xTrain, yTrain, { nTrees, maxDepth, minSamplesLeaf, maxFeatures, seed });
    const fitSeconds = (performance.now() - started) / 1000;
    const scores = classificationReport(yTest, model.predict(xTest), model.classes);
    ours.push(scores.accuracy);
    const row: Record<string, string | number> = {
      seed,
      'train / test rows': `${split.train.length} / ${split.test.length}`,
      'forest acc %': (100 * scores.accuracy).toFixed(2),
      'forest macro-F1': scores.macroF1.toFixed(4),
      'forest fit s': fitSeconds.toFixed(2),
    };

    if ('python' in probe) {
      writeNpy(join(dir, 'x_train.npy'), xTrain.data, [xTrain.rows, xTrain.cols]);
      writeNpy(join(dir, 'x_test.npy'), xTest.data, [xTest.rows, xTest.cols]);
      const codes = (indices: Int32Array) => Int32Array.from(indices, (i) => table.labels.codes[i]!);
      writeNpy(join(dir, 'y_train.npy'), codes(split.train), [split.train.length]);
      writeNpy(join(dir, 'y_test.npy'), codes(split.test), [split.test.length]);
      const result = runBaseline(probe.python, [
        '--npy',
        dir,
        '--seed',
        String(seed),
        '--n-estimators',
        String(nTrees),
        '--min-samples-leaf',
        String(minSamplesLeaf),
        '--max-features',
        maxFeaturesArg,
        ...(maxDepth === null ? [] : ['--max-depth', String(maxDepth)]),
      ]);
      theirs.push(result.accuracy);
      row['sklearn acc %'] = (100 * result.accuracy).toFixed(2);
      row['sklearn fit s'] = result.fitSeconds.toFixed(2);
      row['Δ points'] = (100 * (scores.accuracy - result.accuracy)).toFixed(2);
    }
    rows.push(row);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `${values.data}: ${table.x.rows} rows, ${features.length} features, ${regression ? `target ${label}${Number.isFinite(labelMax) ? ` clipped at ${labelMax}` : ''}` : `label ${label}`}, split by ${values.group} ` +
    `(test fraction ${testFraction}); trees ${nTrees}, max depth ${maxDepth ?? 'none'}, ` +
    `min samples leaf ${minSamplesLeaf}, max features ${maxFeaturesArg}`,
);
console.table(rows);
if (regression && theirs.length > 0) {
  const excess = 100 * (mean(ours) / mean(theirs) - 1);
  const tolerance = Number(values['rmse-tolerance']);
  const ok = excess <= tolerance;
  const fitOk = mean(oursFit) <= mean(theirsFit);
  console.log(
    `mean RMSE: forest ${mean(ours).toPrecision(5)}, scikit-learn ${mean(theirs).toPrecision(5)} ` +
      `(${excess >= 0 ? '+' : ''}${excess.toFixed(2)} %) → ${ok ? 'within' : 'NOT within'} ${tolerance} %; ` +
      `mean MAE: forest ${mean(oursMae).toPrecision(5)}, scikit-learn ${mean(theirsMae).toPrecision(5)}; ` +
      `mean fit: forest ${mean(oursFit).toFixed(2)} s, scikit-learn ${mean(theirsFit).toFixed(2)} s → ${fitOk ? 'no slower' : 'SLOWER'}`,
  );
  process.exitCode = ok ? 0 : 1;
} else if (theirs.length > 0) {
  const delta = 100 * (mean(ours) - mean(theirs));
  const tolerance = Number(values.tolerance);
  const ok = Math.abs(delta) <= tolerance;
  console.log(
    `mean accuracy: forest ${(100 * mean(ours)).toFixed(2)} %, scikit-learn ${(100 * mean(theirs)).toFixed(2)} %, ` +
      `Δ ${delta.toFixed(2)} points → ${ok ? 'within' : 'NOT within'} ${tolerance} point`,
  );
  process.exitCode = ok ? 0 : 1;
}
