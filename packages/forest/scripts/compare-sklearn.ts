/**
 * Our forest and scikit-learn's, side by side: same data, same splits, same hyperparameters.
 *
 *   npx tsx packages/forest/scripts/compare-sklearn.ts [--datasets synthetic,breast_cancer,wine,iris,digits]
 *     [--repeats 5] [--trees 100] [--max-depth N] [--min-samples-leaf 1] [--max-features sqrt]
 *     [--synthetic-rows 20000] [--synthetic-features 20] [--synthetic-classes 4]
 *
 * Each repeat uses a different stratified 75/25 split and forest seed; accuracies are averaged, because a
 * single split of a 150–600 row dataset moves accuracy by more than a point on its own.
 *
 * Regression, RandomForestRegressor(n_jobs=1) against ours on random 75/25 splits, RMSE averaged:
 *
 *   npx tsx packages/forest/scripts/compare-sklearn.ts --regression friedman,diabetes [--repeats 5] [--trees 100]
 *     [--max-features sqrt] [--synthetic-rows 20000] [--synthetic-features 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ForestOptions, MaxFeatures } from '../src/forest.ts';
import { selectRows } from '../src/matrix.ts';
import { accuracy, regressionScores, trainTestSplit } from '../src/metrics.ts';
import { ForestModel, RegressionModel } from '../src/model.ts';
import {
  BUNDLED,
  type BundledName,
  type Dataset,
  loadBundled,
  loadDiabetes,
  type RegressionDataset,
  synthetic,
  syntheticRegression,
} from './datasets.ts';
import { writeNpy } from './npy.ts';
import { findPythonWith, runBaseline, runRegressionBaseline } from './python.ts';

const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: ['synthetic', ...BUNDLED].join(',') },
    repeats: { type: 'string', default: '5' },
    trees: { type: 'string', default: '100' },
    'max-depth': { type: 'string' },
    'min-samples-leaf': { type: 'string', default: '1' },
    'max-features': { type: 'string', default: 'sqrt' },
    'synthetic-rows': { type: 'string', default: '20000' },
    'synthetic-features': { type: 'string', default: '20' },
    'synthetic-classes': { type: 'string', default: '4' },
    regression: { type: 'string' },
  },
});

const repeats = Number(values.repeats);
const maxFeaturesArg = values['max-features']!;
const forestOptions: ForestOptions = {
  nTrees: Number(values.trees),
  maxDepth: values['max-depth'] ? Number(values['max-depth']) : null,
  minSamplesLeaf: Number(values['min-samples-leaf']),
  maxFeatures: (['sqrt', 'log2', 'all'].includes(maxFeaturesArg)
    ? maxFeaturesArg
    : Number(maxFeaturesArg)) as MaxFeatures,
};
const baselineArgs = [
  '--n-estimators',
  String(forestOptions.nTrees),
  '--min-samples-leaf',
  String(forestOptions.minSamplesLeaf),
  '--max-features',
  maxFeaturesArg,
  ...(forestOptions.maxDepth ? ['--max-depth', String(forestOptions.maxDepth)] : []),
];

const probe = findPythonWith(['sklearn', 'numpy']);
if ('reason' in probe) console.warn(`scikit-learn side skipped: ${probe.reason}`);

const datasets: Dataset[] = [];
const regressionSets: RegressionDataset[] = [];
for (const name of values.regression?.split(',') ?? []) {
  if (name === 'friedman') {
    const features = values['synthetic-features'] === '20' ? 10 : Number(values['synthetic-features']);
    regressionSets.push(syntheticRegression(Number(values['synthetic-rows']), features));
  } else if (name === 'diabetes') {
    const loaded = loadDiabetes();
    if ('skipped' in loaded) console.warn(`diabetes skipped: ${loaded.skipped}`);
    else regressionSets.push(loaded);
  } else throw new Error(`unknown regression dataset ${name}: friedman or diabetes`);
}
// --regression alone compares regressors only
for (const name of values.regression === undefined ? values.datasets!.split(',') : []) {
  if (name === 'synthetic') {
    const [rows, features, classes] = ['synthetic-rows', 'synthetic-features', 'synthetic-classes'].map((k) =>
      Number(values[k as keyof typeof values]),
    );
    datasets.push(synthetic(rows!, features!, classes!));
    continue;
  }
  if (!(BUNDLED as readonly string[]).includes(name)) throw new Error(`unknown dataset ${name}`);
  const loaded = loadBundled(name as BundledName);
  if ('skipped' in loaded) console.warn(`${name} skipped: ${loaded.skipped}`);
  else datasets.push(loaded);
}

interface Figures {
  acc: number[];
  fit: number[];
}
const rowsOut: Record<string, string | number>[] = [];
const regressionOut: Record<string, string | number>[] = [];
const dir = mkdtempSync(join(tmpdir(), 'pdm-forest-compare-'));
try {
  for (const ds of datasets) {
    const classes = [...new Set(ds.labels)].sort();
    const ours: Figures = { acc: [], fit: [] };
    const theirs: Figures = { acc: [], fit: [] };
    for (let r = 0; r < repeats; r++) {
      const split = trainTestSplit(ds.x.rows, { testFraction: 0.25, seed: r, stratify: ds.labels });
      const xTrain = selectRows(ds.x, split.train);
      const xTest = selectRows(ds.x, split.test);
      const yTrain = Array.from(split.train, (i) => ds.labels[i]!);
      const yTest = Array.from(split.test, (i) => ds.labels[i]!);

      const start = performance.now();
      const model = ForestModel.train(xTrain, yTrain, { ...forestOptions, seed: r });
      ours.fit.push((performance.now() - start) / 1000);
      ours.acc.push(accuracy(yTest, model.predict(xTest)));

      if ('python' in probe) {
        const code = (labels: string[]) => Int32Array.from(labels, (l) => classes.indexOf(l));
        writeNpy(join(dir, 'x_train.npy'), xTrain.data, [xTrain.rows, xTrain.cols]);
        writeNpy(join(dir, 'x_test.npy'), xTest.data, [xTest.rows, xTest.cols]);
        writeNpy(join(dir, 'y_train.npy'), code(yTrain), [yTrain.length]);
        writeNpy(join(dir, 'y_test.npy'), code(yTest), [yTest.length]);
        const result = runBaseline(probe.python, ['--npy', dir, '--seed', String(r), ...baselineArgs]);
        theirs.acc.push(result.accuracy);
        theirs.fit.push(result.fitSeconds);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
    const pct = (xs: number[]) =>
      xs.length ? `${(100 * mean(xs)).toFixed(2)} ± ${(100 * sd(xs)).toFixed(2)}` : 'n/a';
    rowsOut.push({
      dataset: ds.name,
      'rows × features': `${ds.x.rows} × ${ds.x.cols}`,
      classes: classes.length,
      'forest acc %': pct(ours.acc),
      'sklearn acc %': pct(theirs.acc),
      'Δ points': theirs.acc.length ? (100 * (mean(ours.acc) - mean(theirs.acc))).toFixed(2) : 'n/a',
      'forest fit s': mean(ours.fit).toFixed(3),
      'sklearn fit s': theirs.fit.length ? mean(theirs.fit).toFixed(3) : 'n/a',
    });
  }
  for (const ds of regressionSets) {
    const ours: { rmse: number[]; fit: number[] } = { rmse: [], fit: [] };
    const theirs: { rmse: number[]; fit: number[] } = { rmse: [], fit: [] };
    for (let r = 0; r < repeats; r++) {
      const split = trainTestSplit(ds.x.rows, { testFraction: 0.25, seed: r });
      const xTrain = selectRows(ds.x, split.train);
      const xTest = selectRows(ds.x, split.test);
      const yTrain = Float64Array.from(split.train, (i) => ds.y[i]!);
      const yTest = Float64Array.from(split.test, (i) => ds.y[i]!);
      const start = performance.now();
      const model = RegressionModel.train(xTrain, yTrain, { ...forestOptions, seed: r });
      ours.fit.push((performance.now() - start) / 1000);
      ours.rmse.push(regressionScores(yTest, model.predict(xTest)).rmse);
      if ('python' in probe) {
        writeNpy(join(dir, 'x_train.npy'), xTrain.data, [xTrain.rows, xTrain.cols]);
        writeNpy(join(dir, 'x_test.npy'), xTest.data, [xTest.rows, xTest.cols]);
        writeNpy(join(dir, 'y_train.npy'), yTrain, [yTrain.length]);
        writeNpy(join(dir, 'y_test.npy'), yTest, [yTest.length]);
        const result = runRegressionBaseline(probe.python, [
          '--npy',
          dir,
          '--seed',
          String(r),
          ...baselineArgs,
        ]);
        theirs.rmse.push(result.rmse);
        theirs.fit.push(result.fitSeconds);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    regressionOut.push({
      dataset: ds.name,
      'rows × features': `${ds.x.rows} × ${ds.x.cols}`,
      'forest RMSE': mean(ours.rmse).toPrecision(5),
      'sklearn RMSE': theirs.rmse.length ? mean(theirs.rmse).toPrecision(5) : 'n/a',
      'RMSE Δ %': theirs.rmse.length ? (100 * (mean(ours.rmse) / mean(theirs.rmse) - 1)).toFixed(2) : 'n/a',
      'forest fit s': mean(ours.fit).toFixed(3),
      'sklearn fit s': theirs.fit.length ? mean(theirs.fit).toFixed(3) : 'n/a',
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${repeats} 75/25 splits each (stratified for classes); ${JSON.stringify(forestOptions)}`);
if (rowsOut.length > 0) console.table(rowsOut);
if (regressionOut.length > 0) console.table(regressionOut);
