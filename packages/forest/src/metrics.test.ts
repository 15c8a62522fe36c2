import { describe, expect, it } from 'vitest';
import {
  accuracy,
  asymmetricRulScore,
  classificationReport,
  errorByBand,
  regressionScores,
  trainTestSplit,
} from './metrics.ts';

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

describe('regression scores', () => {
  it('computes RMSE, MAE, R² and bias as scikit-learn’s metrics do', () => {
    // by hand: errors 1, −1, 2, 0 → MSE 1.5, MAE 1, SST of [1, 2, 3, 4] is 5
    const s = regressionScores([1, 2, 3, 4], [2, 1, 5, 4]);
    expect(s.rmse).toBeCloseTo(Math.sqrt(1.5), 12);
    expect(s.mae).toBe(1);
    expect(s.r2).toBeCloseTo(1 - 6 / 5, 12);
    expect(s.bias).toBe(0.5);
    expect(regressionScores([3, 3], [3, 4]).r2).toBeNaN();
  });

  it('penalises a late RUL estimate more than an early one by the same amount', () => {
    const late = asymmetricRulScore([50], [60]);
    const early = asymmetricRulScore([50], [40]);
    expect(late).toBeCloseTo(Math.E - 1, 12);
    expect(early).toBeCloseTo(Math.exp(10 / 13) - 1, 12);
    expect(late).toBeGreaterThan(early);
    expect(asymmetricRulScore([1, 2], [1, 2])).toBe(0);
  });

  it('splits the errors by band of the true target as shares of the max', () => {
    const truth = [5, 9, 20, 49, 50, 100, 130];
    const predicted = [6, 9, 20, 49, 60, 100, 130];
    const bands = errorByBand(truth, predicted, 100);
    expect(bands.map((b) => [b.band, b.count, b.mae])).toEqual([
      ['< 10 %', 2, 0.5],
      ['10–50 %', 2, 0],
      ['≥ 50 %', 3, 10 / 3],
    ]);
    expect(bands[2]!.to).toBeNull();
  });
});
