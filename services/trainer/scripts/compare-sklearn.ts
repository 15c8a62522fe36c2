/**
 * Our trainer against scikit-learn on the same training CSV: same group split (the trainer's own, by
 * pump), same hyperparameters, one split and forest seed per repeat. Exits 1 when the mean held-out
 * accuracies differ by more than --tolerance points. With --task regression (RandomForestRegressor, see
 * compare-regression.ts), when our mean RMSE is more than 3 % above scikit-learn's.
 *
 *   npx tsx services/trainer/scripts/compare-sklearn.ts [--data data/pump-state-training.csv] [--repeats 3]
 *     [--trees 100] [--max-depth N] [--min-samples-leaf 5] [--max-features sqrt] [--test-fraction 0.2]
 *     [--label state] [--group pump_id] [--tolerance 1] [--task regression --label rul_h --label-max X]
 *
 * The data is what services/trainer/scripts/train-shipped-model.sh leaves in data/; the scikit-learn side
 * is packages/forest/scripts/sklearn-baseline.py, fed the exact float64 arrays through .npy files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FEATURE_NAMES } from '@pdm/features';
import { classificationReport, ForestModel, type MaxFeatures, selectRows } from '@pdm/forest';
import { findPythonWith, runBaseline, writeNpy } from '@pdm/forest/scripts';
import { groupSplit } from '../src/group-split.ts';
import { TASK_DEFAULTS } from '../src/options.ts';
import { readTrainingTable } from '../src/table.ts';
import { compareRegression, RMSE_TOLERANCE_PERCENT, rmseExcessPercent } from './compare-regression.ts';

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
const task = values.task === 'regression' ? 'regression' : 'classification';
const label = values.label ?? TASK_DEFAULTS[task].label;

if (task === 'regression') {
  const labelMax = values['label-max'] === undefined ? null : Number(values['label-max']);
  const c = await compareRegression({
    data: values.data!,
    label,
    labelMax,
    features,
    group: values.group!,
    testFraction,
    trees: nTrees,
    maxDepth,
    minSamplesLeaf,
    maxFeatures: maxFeaturesArg,
    repeats: Number(values.repeats),
  });
  console.log(
    `${values.data}: ${c.rows} rows, ${features.length} features, target ${label}` +
      `${labelMax === null ? '' : ` clipped at ${labelMax}`}, split by ${values.group} (test fraction ` +
      `${testFraction}); trees ${nTrees}, max depth ${maxDepth ?? 'none'}, min samples leaf ${minSamplesLeaf}, ` +
      `max features ${maxFeaturesArg}`,
  );
  const p = (x: number | undefined) => (x === undefined ? 'n/a' : x.toPrecision(5));
  console.table(
    c.repeats.map((r) => ({
      seed: r.seed,
      'train / test rows': `${r.trainRows} / ${r.testRows}`,
      'forest RMSE': p(r.forest.rmse),
      'sklearn RMSE': p(r.sklearn?.rmse),
      'forest MAE': p(r.forest.mae),
      'sklearn MAE': p(r.sklearn?.mae),
      'forest R²': r.forest.r2.toFixed(4),
      'sklearn R²': r.sklearn?.r2.toFixed(4) ?? 'n/a',
      'forest fit s': r.forest.fitSeconds.toFixed(2),
      'sklearn fit s': r.sklearn?.fitSeconds.toFixed(2) ?? 'n/a',
    })),
  );
  const excess = rmseExcessPercent(c);
  if (excess === undefined || !c.sklearn) {
    console.warn(`scikit-learn side skipped: ${c.skipped}`);
  } else {
    const ok = excess <= RMSE_TOLERANCE_PERCENT;
    console.log(
      `mean RMSE: forest ${p(c.forest.rmse)}, scikit-learn ${p(c.sklearn.rmse)} (${excess >= 0 ? '+' : ''}${excess.toFixed(2)} %) ` +
        `→ ${ok ? 'within' : 'NOT within'} ${RMSE_TOLERANCE_PERCENT} %; mean MAE: forest ${p(c.forest.mae)}, ` +
        `scikit-learn ${p(c.sklearn.mae)}; mean fit: forest ${c.forest.fitSeconds.toFixed(2)} s, ` +
        `scikit-learn ${c.sklearn.fitSeconds.toFixed(2)} s`,
    );
    process.exitCode = ok ? 0 : 1;
  }
} else {
  const table = await readTrainingTable(values.data!, { features, label, group: values.group! });
  const classes = table.labels.names;
  const probe = findPythonWith(['sklearn', 'numpy']);
  if ('reason' in probe) console.warn(`scikit-learn side skipped: ${probe.reason}`);

  const dir = mkdtempSync(join(tmpdir(), 'pdm-trainer-compare-'));
  const rows: Record<string, string | number>[] = [];
  const ours: number[] = [];
  const theirs: number[] = [];
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
      const yTrain = Array.from(split.train, (i) => classes[table.labels.codes[i]!]!);
      const yTest = Array.from(split.test, (i) => classes[table.labels.codes[i]!]!);

      const started = performance.now();
      const model = ForestModel.train(xTrain, yTrain, {
        nTrees,
        maxDepth,
        minSamplesLeaf,
        maxFeatures,
        seed,
      });
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
    `${values.data}: ${table.x.rows} rows, ${features.length} features, split by ${values.group} ` +
      `(test fraction ${testFraction}); trees ${nTrees}, max depth ${maxDepth ?? 'none'}, ` +
      `min samples leaf ${minSamplesLeaf}, max features ${maxFeaturesArg}`,
  );
  console.table(rows);
  if (theirs.length > 0) {
    const delta = 100 * (mean(ours) - mean(theirs));
    const tolerance = Number(values.tolerance);
    const ok = Math.abs(delta) <= tolerance;
    console.log(
      `mean accuracy: forest ${(100 * mean(ours)).toFixed(2)} %, scikit-learn ${(100 * mean(theirs)).toFixed(2)} %, ` +
        `Δ ${delta.toFixed(2)} points → ${ok ? 'within' : 'NOT within'} ${tolerance} point`,
    );
    process.exitCode = ok ? 0 : 1;
  }
}
