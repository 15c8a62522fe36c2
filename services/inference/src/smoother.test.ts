import { describe, expect, it } from 'vitest';
import { AlertPolicy } from './alerts.ts';
import { ownsPump, pumpHash } from './partition.ts';
import { LiveScorer } from './scoring.ts';
import { Smoother } from './smoother.ts';

describe('per-pump smoothing', () => {
  it('holds the state through a short burst and changes it on consistent evidence', () => {
    const smoother = new Smoother(5, 3);
    const states = [
      'HEALTHY',
      'HEALTHY',
      'BROKEN',
      'BROKEN',
      'HEALTHY',
      'WARNING',
      'WARNING',
      'WARNING',
    ] as const;
    expect(states.map((s) => smoother.update('p', s).state)).toEqual([
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'WARNING',
    ]);
  });

  it('keeps pumps apart and reports the evidence', () => {
    const smoother = new Smoother(3, 2);
    smoother.update('a', 'FAULTY');
    smoother.update('b', 'HEALTHY');
    const b = smoother.update('b', 'FAULTY');
    expect(b.state).toBe('HEALTHY');
    const a = smoother.update('a', 'FAULTY');
    expect(a).toEqual({ state: 'FAULTY', previous: 'FAULTY', recent: ['FAULTY', 'FAULTY'] });
  });

  it('refuses an agreement larger than the window', () => {
    expect(() => new Smoother(3, 4)).toThrow(RangeError);
  });
});

describe('alert policy', () => {
  it('alarms on entering FAULTY or BROKEN, and says when the pump is healthy again', () => {
    const policy = new AlertPolicy(0);
    expect(policy.decide('p', 'HEALTHY', 'WARNING', 1)).toBeUndefined();
    expect(policy.decide('p', 'WARNING', 'FAULTY', 2)).toBe('alarm');
    expect(policy.decide('p', 'FAULTY', 'BROKEN', 3)).toBe('alarm');
    expect(policy.decide('p', 'BROKEN', 'FAULTY', 4)).toBeUndefined();
    expect(policy.decide('p', 'FAULTY', 'HEALTHY', 5)).toBe('recovered');
    expect(policy.decide('p', 'WARNING', 'HEALTHY', 6)).toBeUndefined();
  });

  it('debounces a flapping pump but never holds back an escalation to BROKEN', () => {
    const policy = new AlertPolicy(60_000);
    expect(policy.decide('p', 'WARNING', 'FAULTY', 0)).toBe('alarm');
    expect(policy.decide('p', 'FAULTY', 'HEALTHY', 1000)).toBeUndefined();
    expect(policy.decide('p', 'HEALTHY', 'FAULTY', 2000)).toBeUndefined();
    expect(policy.decide('p', 'FAULTY', 'BROKEN', 3000)).toBe('alarm');
    expect(policy.suppressed).toBe(2);
    expect(policy.decide('q', 'WARNING', 'FAULTY', 3000)).toBe('alarm');
  });
});

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

  it('forgets the oldest unmatched entries beyond its bound', () => {
    const scorer = new LiveScorer(2);
    scorer.addPrediction('p', 1, 'HEALTHY', false);
    scorer.addPrediction('p', 2, 'HEALTHY', false);
    scorer.addPrediction('p', 3, 'HEALTHY', false);
    scorer.addTruth('p', 1, 'HEALTHY');
    scorer.addTruth('p', 3, 'HEALTHY');
    expect(scorer.scored).toBe(1);
  });
});

describe('replica partitioning', () => {
  it('gives every pump to exactly one replica, spread evenly', () => {
    const pumps = Array.from({ length: 3000 }, (_, i) => `pump-${String(i + 1).padStart(5, '0')}`);
    const counts = [0, 0, 0];
    for (const p of pumps) {
      const owners = [0, 1, 2].filter((r) => ownsPump(p, 3, r));
      expect(owners).toHaveLength(1);
      counts[owners[0] as number] = (counts[owners[0] as number] as number) + 1;
    }
    for (const c of counts) expect(c).toBeGreaterThan(900);
    expect(pumpHash('pump-00001')).toBe(pumpHash('pump-00001'));
    expect(ownsPump('anything', 1, 0)).toBe(true);
  });
});
