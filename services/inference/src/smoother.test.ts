import { describe, expect, it } from 'vitest';
import { AlertPolicy } from './alerts.ts';
import { ownsPump, pumpHash } from './partition.ts';

import { Smoother } from './smoother.ts';

describe('per-pump smoothing', () => {
  it('needs agree-of-window samples to enter an alarm state, so a short burst cannot', () => {
    const smoother = new Smoother({ window: 5, agree: 3, calm: 2 });
    const raw = ['HEALTHY', 'HEALTHY', 'BROKEN', 'BROKEN', 'HEALTHY', 'FAULTY', 'HEALTHY', 'FAULTY'] as const;
    expect(raw.map((s) => smoother.update('p', s).state)).toEqual([
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
    ]);
    expect(smoother.update('p', 'FAULTY').state).toBe('FAULTY');
  });

  it('follows a calm state after `calm` samples in a row, and ignores alternation', () => {
    const smoother = new Smoother({ window: 5, agree: 3, calm: 2 });
    for (const s of ['BROKEN', 'BROKEN', 'BROKEN'] as const) smoother.update('p', s);
    expect(smoother.update('p', 'HEALTHY').state).toBe('BROKEN');
    expect(smoother.update('p', 'HEALTHY').state).toBe('HEALTHY');
    const raw = ['WARNING', 'HEALTHY', 'WARNING', 'HEALTHY', 'WARNING'] as const;
    expect(raw.map((s) => smoother.update('p', s).state)).toEqual([
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
      'HEALTHY',
    ]);
  });

  it('keeps pumps apart and reports the evidence', () => {
    const smoother = new Smoother({ window: 3, agree: 2, calm: 2 });
    smoother.update('a', 'FAULTY');
    smoother.update('b', 'HEALTHY');
    expect(smoother.update('b', 'FAULTY').state).toBe('HEALTHY');
    expect(smoother.update('a', 'FAULTY')).toEqual({
      state: 'FAULTY',
      previous: 'FAULTY',
      recent: ['FAULTY', 'FAULTY'],
    });
  });

  it('refuses thresholds larger than the window', () => {
    expect(() => new Smoother({ window: 3, agree: 4, calm: 1 })).toThrow(RangeError);
    expect(() => new Smoother({ window: 3, agree: 2, calm: 4 })).toThrow(RangeError);
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

  it('does not hold a pump’s alerts back until its clock catches up with a stray future timestamp', () => {
    const policy = new AlertPolicy(60_000);
    const now = Date.UTC(2026, 0, 1);
    expect(policy.decide('p', 'WARNING', 'FAULTY', Date.UTC(2199, 0, 1))).toBe('alarm');
    // The pump's window started over at its real time, far behind the stray sample.
    expect(policy.decide('p', 'FAULTY', 'HEALTHY', now)).toBe('recovered');
    expect(policy.decide('p', 'HEALTHY', 'FAULTY', now + 1000)).toBeUndefined();
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
