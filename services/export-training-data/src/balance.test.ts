import { PUMP_STATES, type PumpState } from '@pdm/contract';
import { describe, expect, it } from 'vitest';
import { classTargets, everyRow, SelectionSampler, type StateCounts } from './balance.ts';

const counts = (HEALTHY: number, WARNING: number, FAULTY: number, BROKEN: number): StateCounts => ({
  HEALTHY,
  WARNING,
  FAULTY,
  BROKEN,
});

/** The states of a stream with these counts, interleaved as pumps interleave them. */
function stream(available: StateCounts): PumpState[] {
  const out: PumpState[] = [];
  const left = { ...available };
  while (PUMP_STATES.some((s) => left[s] > 0)) {
    for (const s of PUMP_STATES) {
      if (left[s] > 0) {
        out.push(s);
        left[s]--;
      }
    }
  }
  return out;
}

function keptPositions(available: StateCounts, targets: StateCounts, seed: number): number[] {
  const sampler = new SelectionSampler(available, targets, seed);
  return stream(available).flatMap((state, i) => (sampler.offer(state) ? [i] : []));
}

describe('class targets', () => {
  it('undersamples every state to the rarest state present', () => {
    expect(classTargets(counts(900, 60, 30, 12), 'undersample')).toEqual(counts(12, 12, 12, 12));
  });

  it('ignores a state with no rows rather than exporting nothing', () => {
    expect(classTargets(counts(900, 60, 0, 12), 'undersample')).toEqual(counts(12, 12, 0, 12));
  });

  it('caps each state at --max-per-class, balanced or not', () => {
    expect(classTargets(counts(900, 60, 30, 12), 'undersample', 5)).toEqual(counts(5, 5, 5, 5));
    expect(classTargets(counts(900, 60, 30, 12), 'none', 50)).toEqual(counts(50, 50, 30, 12));
    expect(classTargets(counts(900, 60, 30, 12), 'none')).toEqual(counts(900, 60, 30, 12));
  });
});

describe('selection sampler', () => {
  it('keeps exactly the target of every state, whatever the seed', () => {
    const available = counts(5000, 700, 300, 41);
    const targets = classTargets(available, 'undersample');
    for (let seed = 0; seed < 50; seed++) {
      const sampler = new SelectionSampler(available, targets, seed);
      for (const state of stream(available)) sampler.offer(state);
      expect(sampler.kept).toEqual(targets);
    }
  });

  it('chooses the same rows for the same seed and other rows for another seed', () => {
    const available = counts(2000, 300, 100, 50);
    const targets = classTargets(available, 'undersample');
    expect(keptPositions(available, targets, 7)).toEqual(keptPositions(available, targets, 7));
    expect(keptPositions(available, targets, 7)).not.toEqual(keptPositions(available, targets, 8));
  });

  it('gives every row the same chance: each of 10 rows is kept about half the time when 5 are wanted', () => {
    const available = counts(10, 0, 0, 0);
    const targets = counts(5, 0, 0, 0);
    const hits = new Array<number>(10).fill(0);
    const trials = 20_000;
    for (let seed = 0; seed < trials; seed++)
      for (const i of keptPositions(available, targets, seed)) hits[i] = (hits[i] ?? 0) + 1;
    for (const h of hits) expect(Math.abs(h / trials - 0.5)).toBeLessThan(0.02);
  });

  it('still meets its target when the pass offers more rows than were counted', () => {
    const sampler = new SelectionSampler(counts(10, 0, 0, 0), counts(4, 0, 0, 0), 1);
    let kept = 0;
    for (let i = 0; i < 25; i++) if (sampler.offer('HEALTHY')) kept++;
    expect(kept).toBe(4);
  });

  it('keeps every row when the counts never run out', () => {
    const sampler = new SelectionSampler(everyRow(), everyRow(), 1);
    const offered = stream(counts(30, 20, 10, 5));
    expect(offered.every((s) => sampler.offer(s))).toBe(true);
    expect(sampler.kept).toEqual(counts(30, 20, 10, 5));
  });
});
