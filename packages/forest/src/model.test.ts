import { describe, expect, it } from 'vitest';
import { matrixFromRows, selectRows } from './matrix.ts';
import { accuracy, trainTestSplit } from './metrics.ts';
import { ForestModel } from './model.ts';
import { makeClassification } from './synthetic.ts';

describe('ForestModel', () => {
  it('predicts string labels from raw feature values', () => {
    // Well separated classes (centres 3 standard deviations apart): an easy problem for any forest.
    const data = makeClassification({ rows: 2000, features: 5, classes: 3, classSep: 3, seed: 6 });
    const names = ['HEALTHY', 'WARNING', 'FAULTY'];
    const labels = Array.from(data.y, (c) => names[c]!);
    const { train, test } = trainTestSplit(2000, { seed: 2, stratify: labels });
    const model = ForestModel.train(
      selectRows(data.x, train),
      Array.from(train, (i) => labels[i]!),
      { nTrees: 20, seed: 2 },
    );
    expect(model.classes).toEqual(['FAULTY', 'HEALTHY', 'WARNING']);
    expect(
      accuracy(
        Array.from(test, (i) => labels[i]!),
        model.predict(selectRows(data.x, test)),
      ),
    ).toBeGreaterThan(0.9);
  });

  it('is unaffected by the units features are measured in, as trees on standardised values should be', () => {
    const data = makeClassification({ rows: 500, features: 3, classes: 2, seed: 8 });
    const labels = Array.from(data.y, (c) => `c${c}`);
    const inMillimetres = { ...data.x, data: data.x.data.map((v) => v * 1000) };
    const a = ForestModel.train(data.x, labels, { nTrees: 5, seed: 1 });
    const b = ForestModel.train(inMillimetres, labels, { nTrees: 5, seed: 1 });
    expect(b.predict(inMillimetres)).toEqual(a.predict(data.x));
  });

  it('refuses training data with a single class or mismatched labels', () => {
    const x = matrixFromRows([[1], [2]]);
    expect(() => ForestModel.train(x, ['a', 'a'])).toThrow(/two classes/);
    expect(() => ForestModel.train(x, ['a'])).toThrow(/2 rows but 1 labels/);
  });
});
