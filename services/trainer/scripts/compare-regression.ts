/**
 * Our forest regressor against scikit-learn's RandomForestRegressor(n_jobs=1) on a training CSV: the
 * trainer's own group split and --label-max clip, the same hyperparameters, one split and forest seed per
 * repeat, scikit-learn fed the exact float64 arrays through .npy files. Used by compare-sklearn.ts
 * (--task regression) and by `pnpm bench`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MaxFeatures, RegressionModel, regressionScores, selectRows } from '@pdm/forest';
import { findPythonWith, runRegressionBaseline, writeNpy } from '@pdm/forest/scripts';
import { groupSplit } from '../src/group-split.ts';
import { readTrainingTable } from '../src/table.ts';

export interface RegressionComparisonOptions {
  readonly data: string;
  readonly label: string;
  /** the trainer's --label-max; null for no clip */
  readonly labelMax: number | null;
  readonly features: readonly string[];
  readonly group: string;
  readonly testFraction?: number;
  readonly trees?: number;
  readonly maxDepth?: number | null;
  readonly minSamplesLeaf?: number;
  /** as the trainer's --max-features: sqrt, log2, all, a count or a fraction */
  readonly maxFeatures?: string;
  readonly repeats?: number;
}

export interface RegressionFigures {
  readonly rmse: number;
  readonly mae: number;
  readonly r2: number;
  readonly fitSeconds: number;
}

export interface RegressionRepeat {
  readonly seed: number;
  readonly trainRows: number;
  readonly testRows: number;
  readonly forest: RegressionFigures;
  readonly sklearn?: RegressionFigures;
}

export interface RegressionComparison {
  readonly rows: number;
  readonly repeats: readonly RegressionRepeat[];
  /** means over the repeats */
  readonly forest: RegressionFigures;
  readonly sklearn?: RegressionFigures;
  /** why scikit-learn is missing, if it is */
  readonly skipped?: string;
}

export async function compareRegression(o: RegressionComparisonOptions): Promise<RegressionComparison> {
  const {
    testFraction = 0.2,
    trees = 100,
    maxDepth = null,
    minSamplesLeaf = 5,
    maxFeatures = 'sqrt',
    repeats = 1,
  } = o;
  const table = await readTrainingTable(o.data, {
    features: o.features,
    label: o.label,
    labelType: 'number',
    group: o.group,
  });
  const limit = o.labelMax ?? Number.POSITIVE_INFINITY;
  const targets = table.targets!.map((v) => Math.min(v, limit));
  const probe = findPythonWith(['sklearn', 'numpy']);
  const forestMaxFeatures = (
    ['sqrt', 'log2', 'all'].includes(maxFeatures) ? maxFeatures : Number(maxFeatures)
  ) as MaxFeatures;

  const dir = mkdtempSync(join(tmpdir(), 'pdm-trainer-rul-compare-'));
  const results: RegressionRepeat[] = [];
  try {
    for (let seed = 0; seed < repeats; seed++) {
      const split = groupSplit({
        labels: table.labels.codes,
        classNames: table.labels.names,
        groups: table.groups!.codes,
        groupNames: table.groups!.names,
        groupColumn: o.group,
        testFraction,
        seed,
      });
      const xTrain = selectRows(table.x, split.train);
      const xTest = selectRows(table.x, split.test);
      const yTrain = Float64Array.from(split.train, (i) => targets[i]!);
      const yTest = Float64Array.from(split.test, (i) => targets[i]!);

      const started = performance.now();
      const model = RegressionModel.train(xTrain, yTrain, {
        nTrees: trees,
        maxDepth,
        minSamplesLeaf,
        maxFeatures: forestMaxFeatures,
        seed,
      });
      const fitSeconds = (performance.now() - started) / 1000;
      const scores = regressionScores(yTest, model.predict(xTest));
      const repeat = {
        seed,
        trainRows: split.train.length,
        testRows: split.test.length,
        forest: { rmse: scores.rmse, mae: scores.mae, r2: scores.r2, fitSeconds },
      };
      if (!('python' in probe)) {
        results.push(repeat);
        continue;
      }
      writeNpy(join(dir, 'x_train.npy'), xTrain.data, [xTrain.rows, xTrain.cols]);
      writeNpy(join(dir, 'x_test.npy'), xTest.data, [xTest.rows, xTest.cols]);
      writeNpy(join(dir, 'y_train.npy'), yTrain, [yTrain.length]);
      writeNpy(join(dir, 'y_test.npy'), yTest, [yTest.length]);
      const theirs = runRegressionBaseline(probe.python, [
        ...['--npy', dir, '--seed', String(seed), '--n-estimators', String(trees)],
        ...['--min-samples-leaf', String(minSamplesLeaf), '--max-features', maxFeatures],
        ...(maxDepth === null ? [] : ['--max-depth', String(maxDepth)]),
      ]);
      results.push({
        ...repeat,
        sklearn: { rmse: theirs.rmse, mae: theirs.mae, r2: theirs.r2, fitSeconds: theirs.fitSeconds },
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const sklearn = results.every((r) => r.sklearn) ? meanFigures(results.map((r) => r.sklearn!)) : undefined;
  return {
    rows: table.x.rows,
    repeats: results,
    forest: meanFigures(results.map((r) => r.forest)),
    ...(sklearn ? { sklearn } : { skipped: 'reason' in probe ? probe.reason : 'no repeats' }),
  };
}

/** The bar: RMSE at most this much above scikit-learn's, and fitting no slower. */
export const RMSE_TOLERANCE_PERCENT = 3;

/** Our RMSE relative to scikit-learn's, in percent (negative: ours is lower). */
export function rmseExcessPercent(c: RegressionComparison): number | undefined {
  return c.sklearn ? 100 * (c.forest.rmse / c.sklearn.rmse - 1) : undefined;
}

function meanFigures(figures: readonly RegressionFigures[]): RegressionFigures {
  const mean = (pick: (f: RegressionFigures) => number) =>
    figures.reduce((sum, f) => sum + pick(f), 0) / figures.length;
  return {
    rmse: mean((f) => f.rmse),
    mae: mean((f) => f.mae),
    r2: mean((f) => f.r2),
    fitSeconds: mean((f) => f.fitSeconds),
  };
}
