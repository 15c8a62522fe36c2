import { Rng } from '@pdm/random';
import { describe, expect, it } from 'vitest';
import { featuresPerSplit, RandomForestClassifier, RandomForestRegressor } from './forest.ts';
import { leafWeight, regressionLeafGrid } from './leaf-weights.ts';
import { matrix, matrixFromRows, selectRows } from './matrix.ts';
import { accuracy, regressionScores, trainTestSplit } from './metrics.ts';
import { makeClassification, makeRegression } from './synthetic.ts';
import { leafIndex } from './tree.ts';

const easy = makeClassification({
  rows: 4000,
  features: 8,
  informative: 4,
  classes: 3,
  classSep: 2,
  seed: 11,
});

describe('RandomForestClassifier', () => {
  it('classifies an easy synthetic problem with more than 95 % accuracy on held-out rows', () => {
    const { train, test } = trainTestSplit(easy.x.rows, { seed: 1, stratify: easy.y });
    const labels = Array.from(train, (i) => easy.y[i]!);
    const forest = RandomForestClassifier.fit(selectRows(easy.x, train), labels, 3, { nTrees: 30, seed: 1 });
    const predicted = forest.predict(selectRows(easy.x, test));
    expect(
      accuracy(
        Array.from(test, (i) => easy.y[i]),
        Array.from(predicted),
      ),
    ).toBeGreaterThan(0.95);
  });

  it('grows the same forest, bit for bit, from the same seed', () => {
    const a = RandomForestClassifier.fit(easy.x, easy.y, 3, { nTrees: 5, seed: 42 });
    const b = RandomForestClassifier.fit(easy.x, easy.y, 3, { nTrees: 5, seed: 42 });
    expect(a.trees).toEqual(b.trees);
    expect(a.predictProba(easy.x)).toEqual(b.predictProba(easy.x));
    expect(a.featureImportances).toEqual(b.featureImportances);
  });

  it('grows a different forest from a different seed', () => {
    const a = RandomForestClassifier.fit(easy.x, easy.y, 3, { nTrees: 5, seed: 1 });
    const b = RandomForestClassifier.fit(easy.x, easy.y, 3, { nTrees: 5, seed: 2 });
    expect(a.trees[0]!.threshold).not.toEqual(b.trees[0]!.threshold);
  });

  it('splits at the Gini-best midpoint and predicts the leaf class fractions, as scikit-learn does', () => {
    // by hand: x ≤ 3.5 leaves [0 0 0 | 1 1 0] with weighted Gini 4/3, lower than any other split
    const x = matrixFromRows([[1], [2], [3], [4], [5], [6]]);
    const forest = RandomForestClassifier.fit(x, [0, 0, 0, 1, 1, 0], 2, {
      nTrees: 1,
      maxDepth: 1,
      bootstrap: false,
    });
    const tree = forest.trees[0]!;
    expect(tree.feature[0]).toBe(0);
    expect(tree.threshold[0]).toBe(3.5);
    const proba = forest.predictProba(matrixFromRows([[0], [10]]));
    expect(proba[0]).toBe(1);
    expect(proba[2]).toBeCloseTo(1 / 3, 7);
    expect(proba[3]).toBeCloseTo(2 / 3, 7);
    expect(Array.from(forest.featureImportances)).toEqual([1]);
  });

  it('averages the leaf distributions of all trees', () => {
    const forest = RandomForestClassifier.fit(easy.x, easy.y, 3, { nTrees: 7, seed: 3, maxDepth: 3 });
    const proba = forest.predictProba(easy.x);
    const row = new Float32Array(easy.x.cols);
    for (let i = 0; i < 50; i++) {
      row.set(easy.x.data.subarray(i * 8, i * 8 + 8));
      let sum = 0;
      for (let c = 0; c < 3; c++) {
        const mean = forest.trees.reduce((s, t) => s + 7 * t.leafWeights[leafIndex(t, row) * 3 + c]!, 0) / 7;
        expect(proba[i * 3 + c]).toBeCloseTo(mean, 6);
        sum += proba[i * 3 + c]!;
      }
      expect(sum).toBeCloseTo(1, 6);
    }
  });

  it('labels a 50/50 tie with the first class, as argmax and onnxruntime do', () => {
    const forest = RandomForestClassifier.fit(matrixFromRows([[1], [1]]), [1, 0], 2, {
      nTrees: 1,
      bootstrap: false,
    });
    expect(Array.from(forest.predictProba(matrixFromRows([[1]])))).toEqual([0.5, 0.5]);
    expect(Array.from(forest.predict(matrixFromRows([[1]])))).toEqual([0]);
  });

  it('compares float32-rounded inputs with float32 thresholds, as onnxruntime does', () => {
    const forest = RandomForestClassifier.fit(matrixFromRows([[1], [2]]), [0, 1], 2, {
      nTrees: 1,
      bootstrap: false,
    });
    expect(forest.trees[0]!.threshold[0]).toBe(1.5);
    // 1.5 + 1e-9 is above the threshold in float64 but is 1.5 in float32, the type the ONNX input has
    expect(Array.from(forest.predict(matrixFromRows([[1.5 + 1e-9], [1.5 + 1e-6]])))).toEqual([0, 1]);
  });

  it('stops at maxDepth', () => {
    const forest = RandomForestClassifier.fit(easy.x, easy.y, 3, { nTrees: 3, maxDepth: 4 });
    for (const tree of forest.trees) expect(tree.depth).toBeLessThanOrEqual(4);
    expect(forest.trees.some((t) => t.depth === 4)).toBe(true);
  });

  it('keeps at least minSamplesLeaf training rows in every leaf', () => {
    const forest = RandomForestClassifier.fit(easy.x, easy.y, 3, {
      nTrees: 2,
      minSamplesLeaf: 7,
      bootstrap: false,
    });
    const row = new Float32Array(easy.x.cols);
    for (const tree of forest.trees) {
      const perLeaf = new Map<number, number>();
      for (let i = 0; i < easy.x.rows; i++) {
        row.set(easy.x.data.subarray(i * 8, i * 8 + 8));
        const leaf = leafIndex(tree, row);
        perLeaf.set(leaf, (perLeaf.get(leaf) ?? 0) + 1);
      }
      expect(Math.min(...perLeaf.values())).toBeGreaterThanOrEqual(7);
    }
  });

  it('fits the training set exactly with one unrestricted tree on distinct rows', () => {
    const forest = RandomForestClassifier.fit(easy.x, easy.y, 3, {
      nTrees: 1,
      bootstrap: false,
      maxFeatures: 'all',
    });
    expect(Array.from(forest.predict(easy.x))).toEqual(Array.from(easy.y));
  });

  it('ranks informative features above noise, with importances summing to 1', () => {
    const data = makeClassification({
      rows: 3000,
      features: 6,
      informative: 2,
      classes: 2,
      classSep: 1.5,
      seed: 5,
    });
    const forest = RandomForestClassifier.fit(data.x, data.y, 2, { nTrees: 20, seed: 5 });
    const imp = Array.from(forest.featureImportances);
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(Math.min(imp[0]!, imp[1]!)).toBeGreaterThan(Math.max(...imp.slice(2)));
  });

  it('stores leaf weights divided by the tree count, on the exact float32 grid', () => {
    const forest = RandomForestClassifier.fit(easy.x, easy.y, 3, { nTrees: 3, seed: 9 });
    for (const tree of forest.trees) {
      for (const w of tree.leafWeights) expect(Number.isInteger(w * 2 ** 23)).toBe(true);
    }
    expect(leafWeight(1, 3)).toBeCloseTo(1 / 3, 7);
  });

  it('refuses labels outside 0..nClasses−1 and bad hyperparameters', () => {
    const x = matrix(Float64Array.from([1, 2, 3]), 1);
    expect(() => RandomForestClassifier.fit(x, [0, 1, 2], 2)).toThrow(/label 2 at row 2/);
    expect(() => RandomForestClassifier.fit(x, [0, 1, 1], 2, { nTrees: 0 })).toThrow(/nTrees/);
    expect(() => RandomForestClassifier.fit(x, [0, 1, 1], 2, { minSamplesSplit: 1 })).toThrow(
      /minSamplesSplit/,
    );
  });
});

describe('RandomForestRegressor', () => {
  const friedman = makeRegression({ rows: 4000, features: 8, noise: 1, seed: 3 });

  it('explains most of the variance of a non-linear target on held-out rows', () => {
    const { train, test } = trainTestSplit(friedman.x.rows, { seed: 2 });
    const forest = RandomForestRegressor.fit(
      selectRows(friedman.x, train),
      Array.from(train, (i) => friedman.y[i]!),
      { nTrees: 30, seed: 1, maxFeatures: 'all' },
    );
    const scores = regressionScores(
      Array.from(test, (i) => friedman.y[i]!),
      forest.predict(selectRows(friedman.x, test)),
    );
    expect(scores.r2).toBeGreaterThan(0.8);
  });

  it('splits at the variance-best midpoint and predicts the leaf means, as scikit-learn does', () => {
    // by hand: x ≤ 2.5 leaves [1 1 | 10 10 12 12], whose summed squared error (8) beats every other split
    const x = matrixFromRows([[1], [2], [3], [4], [5], [6]]);
    const forest = RandomForestRegressor.fit(x, [1, 1, 10, 10, 12, 12], {
      nTrees: 1,
      maxDepth: 1,
      bootstrap: false,
    });
    const tree = forest.trees[0]!;
    expect(tree.threshold[0]).toBe(2.5);
    expect(Array.from(forest.predict(matrixFromRows([[0], [10]])))).toEqual([1, 11]);
  });

  it('weights each row by how often the bootstrap drew it, in the leaf means and the splits', () => {
    const forest = RandomForestRegressor.fit(friedman.x, friedman.y, { nTrees: 3, seed: 4, maxDepth: 3 });
    // a mean of bootstrap draws stays within the targets' range, and differs from the unweighted forest
    const plain = RandomForestRegressor.fit(friedman.x, friedman.y, {
      nTrees: 3,
      seed: 4,
      maxDepth: 3,
      bootstrap: false,
    });
    expect(forest.predict(friedman.x)).not.toEqual(plain.predict(friedman.x));
    const lo = Math.min(...friedman.y);
    const hi = Math.max(...friedman.y);
    for (const v of forest.predict(friedman.x)) expect(v >= lo - 1e-3 && v <= hi + 1e-3).toBe(true);
  });

  it('fits distinct training rows exactly with one unrestricted tree, up to the leaf grid', () => {
    const forest = RandomForestRegressor.fit(friedman.x, friedman.y, {
      nTrees: 1,
      bootstrap: false,
      maxFeatures: 'all',
    });
    const grid = regressionLeafGrid(Math.max(...friedman.y.map(Math.abs)));
    const predicted = forest.predict(friedman.x);
    for (let i = 0; i < friedman.y.length; i++) {
      expect(Math.abs(predicted[i]! - friedman.y[i]!)).toBeLessThanOrEqual(grid / 2);
    }
  });

  it('stops at a node whose targets are all equal, even large ones that leave rounding noise in a variance', () => {
    const x = matrixFromRows(Array.from({ length: 50 }, (_, i) => [i]));
    const forest = RandomForestRegressor.fit(x, new Array(50).fill(4321.1), { nTrees: 2, seed: 1 });
    for (const tree of forest.trees) expect(tree.feature).toEqual(Int32Array.from([-1]));
    expect(forest.predict(x)[7]).toBeCloseTo(4321.1, 3);
  });

  it('ranks the informative features above noise, with importances summing to 1', () => {
    const forest = RandomForestRegressor.fit(friedman.x, friedman.y, { nTrees: 20, seed: 5 });
    const imp = Array.from(forest.featureImportances);
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // x3 (10·x) and x0, x1 (the sine) carry the most; x5..x7 are noise
    expect(Math.min(imp[0]!, imp[1]!, imp[3]!)).toBeGreaterThan(Math.max(...imp.slice(5)));
  });

  it('keeps leaf values divided by the tree count on a grid where any sum over trees is exact in float32', () => {
    const big = makeRegression({ rows: 2000, features: 6, offset: 3000, seed: 6 });
    const forest = RandomForestRegressor.fit(big.x, big.y, { nTrees: 50, seed: 6 });
    const grid = regressionLeafGrid(Math.max(...big.y));
    for (const tree of forest.trees) {
      for (const v of tree.leafWeights) expect(Number.isInteger(v / grid)).toBe(true);
    }
    // float32 sums of one leaf per tree, in a shuffled order, equal the float64 sum
    const row = new Float32Array(big.x.data.subarray(0, 6));
    const values = forest.trees.map((t) => t.leafWeights[leafIndex(t, row)]!);
    const rng = new Rng(6);
    for (let round = 0; round < 20; round++) {
      for (let k = values.length - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        [values[k], values[j]] = [values[j]!, values[k]!];
      }
      const f32 = values.reduce((s, v) => Math.fround(s + v), 0);
      expect(f32).toBe(forest.valueOfRow(row));
    }
  });

  it('refuses non-finite targets and a target count that does not match the rows', () => {
    const x = matrix(Float64Array.from([1, 2, 3]), 1);
    expect(() => RandomForestRegressor.fit(x, [1, Number.NaN, 2])).toThrow(/target NaN at row 1/);
    expect(() => RandomForestRegressor.fit(x, [1, 2])).toThrow(/3 rows but 2 targets/);
  });
});

describe('featuresPerSplit', () => {
  it('follows scikit-learn’s max_features rules', () => {
    expect(featuresPerSplit('sqrt', 20)).toBe(4);
    expect(featuresPerSplit('log2', 20)).toBe(4);
    expect(featuresPerSplit('all', 20)).toBe(20);
    expect(featuresPerSplit(0.5, 20)).toBe(10);
    expect(featuresPerSplit(0.01, 20)).toBe(1);
    expect(featuresPerSplit(3, 20)).toBe(3);
    expect(() => featuresPerSplit(21, 20)).toThrow(RangeError);
    expect(() => featuresPerSplit(2.5, 20)).toThrow(RangeError);
  });
});
