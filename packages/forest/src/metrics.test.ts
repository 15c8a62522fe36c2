import { describe, expect, it } from 'vitest';
import { accuracy, classificationReport, trainTestSplit } from './metrics.ts';

describe('trainTestSplit', () => {
  const labels = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 'rare' : 'common'));

  it('partitions the rows: every row in exactly one part', () => {
    const { train, test } = trainTestSplit(1000, { seed: 3 });
    expect(train.length + test.length).toBe(1000);
    expect(new Set([...train, ...test]).size).toBe(1000);
    expect(test.length).toBe(250);
  });

  it('keeps each class’s share in the test part when stratified', () => {
    const { test } = trainTestSplit(1000, { seed: 3, stratify: labels });
    expect(Array.from(test).filter((i) => labels[i] === 'rare').length).toBe(25);
  });

  it('draws the same split for the same seed and another for another seed', () => {
    expect(trainTestSplit(1000, { seed: 1 })).toEqual(trainTestSplit(1000, { seed: 1 }));
    expect(trainTestSplit(1000, { seed: 1 }).test).not.toEqual(trainTestSplit(1000, { seed: 2 }).test);
  });
});

describe('scores', () => {
  it('computes accuracy, per-class precision and recall, and macro F1', () => {
    const truth = ['a', 'a', 'b', 'b', 'c'];
    const predicted = ['a', 'b', 'b', 'b', 'a'];
    expect(accuracy(truth, predicted)).toBeCloseTo(0.6, 12);
    const report = classificationReport(truth, predicted, ['a', 'b', 'c']);
    expect(report.perClass.a).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(report.perClass.b!.precision).toBeCloseTo(2 / 3, 12);
    expect(report.perClass.c).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(report.macroF1).toBeCloseTo((0.5 + 0.8 + 0) / 3, 12);
  });
});
