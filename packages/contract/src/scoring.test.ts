import { describe, expect, it } from 'vitest';
import { LiveScorer } from './scoring.ts';

describe('live scoring', () => {
  it('matches predictions and truths by pump and seq, in either order', () => {
    const scorer = new LiveScorer();
    scorer.addTruth('p', 1, 'HEALTHY');
    scorer.addPrediction('p', 1, 'HEALTHY', false);
    scorer.addPrediction('p', 2, 'FAULTY', true);
    scorer.addTruth('p', 2, 'HEALTHY');
    scorer.addPrediction('q', 1, 'BROKEN', false);
    expect(scorer.scored).toBe(2);
    expect(scorer.accuracy).toBe(0.5);
    expect(scorer.falseAlarms).toBe(1);
    expect(scorer.confusion[0]).toEqual([1, 0, 1, 0]);
  });

  it('keeps no predictions waiting while no ground truth has ever arrived', () => {
    const scorer = new LiveScorer();
    scorer.addPrediction('p', 1, 'HEALTHY', false);
    scorer.addTruth('p', 1, 'HEALTHY');
    expect(scorer.scored).toBe(0);
    scorer.addPrediction('p', 2, 'HEALTHY', false);
    scorer.addTruth('p', 2, 'HEALTHY');
    expect(scorer.scored).toBe(1);
  });

  it('forgets the oldest unmatched entries beyond its bound', () => {
    const scorer = new LiveScorer(2);
    scorer.addTruth('other', 1, 'HEALTHY');
    scorer.addTruth('other', 2, 'HEALTHY');
    scorer.addPrediction('p', 1, 'HEALTHY', false);
    scorer.addPrediction('p', 2, 'HEALTHY', false);
    scorer.addPrediction('p', 3, 'HEALTHY', false);
    scorer.addTruth('p', 1, 'HEALTHY');
    scorer.addTruth('p', 3, 'HEALTHY');
    expect(scorer.scored).toBe(1);
  });

  it('drops the unmatched entries of pumps it is told to forget, and only theirs', () => {
    const scorer = new LiveScorer();
    scorer.addTruth('gone', 1, 'HEALTHY');
    scorer.addTruth('stays', 1, 'HEALTHY');
    scorer.addPrediction('gone', 2, 'HEALTHY', false);
    scorer.addPrediction('stays', 2, 'HEALTHY', false);
    expect(scorer.pending).toBe(4);
    scorer.forget(new Set(['gone']));
    expect(scorer.pending).toBe(2);
    scorer.addPrediction('stays', 1, 'HEALTHY', false);
    scorer.addTruth('stays', 2, 'HEALTHY');
    expect(scorer.scored).toBe(2);
    expect(scorer.pending).toBe(0);
  });

  it('scores the remaining useful life where both halves carry one: MAE and RMSE in hours', () => {
    const scorer = new LiveScorer();
    expect(scorer.rulMae).toBeNaN();
    scorer.addTruth('p', 1, 'HEALTHY', 10);
    scorer.addPrediction('p', 1, 'HEALTHY', false, 12);
    scorer.addPrediction('p', 2, 'WARNING', false, 1);
    scorer.addTruth('p', 2, 'WARNING', 5);
    // no RUL model: the state is scored, the RUL is not
    scorer.addTruth('p', 3, 'FAULTY', 2);
    scorer.addPrediction('p', 3, 'FAULTY', false);
    expect(scorer.scored).toBe(3);
    expect(scorer.rulScored).toBe(2);
    expect(scorer.rulMae).toBe((2 + 4) / 2);
    expect(scorer.rulRmse).toBeCloseTo(Math.sqrt((4 + 16) / 2), 12);
  });
});
