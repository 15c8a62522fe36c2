import { describe, expect, it } from 'vitest';
import { TrainerError } from './errors.ts';
import { type GroupSplitInput, groupSplit } from './group-split.ts';

const CLASSES = ['HEALTHY', 'WARNING', 'FAULTY', 'BROKEN'];

/** `pumps` pumps, each living through every class with pump-specific lengths, rows interleaved like an export. */
function fleet(pumps: number, { shuffleRows = false } = {}): GroupSplitInput {
  const rows: { group: number; label: number }[] = [];
  for (let p = 0; p < pumps; p++) {
    const lengths = [20 + (p % 9), 5 + (p % 4), 4 + (p % 3), 3 + (p % 5)];
    lengths.forEach((n, label) => {
      for (let k = 0; k < n; k++) rows.push({ group: p, label });
    });
  }
  if (shuffleRows) rows.reverse();
  // names sort differently from codes, as pump ids from a file would
  const groupNames = Array.from(
    { length: pumps },
    (_, p) => `pump-${String((p * 7919) % 100003).padStart(6, '0')}`,
  );
  return {
    labels: Int32Array.from(rows, (r) => r.label),
    classNames: CLASSES,
    groups: Int32Array.from(rows, (r) => r.group),
    groupNames,
    groupColumn: 'pump_id',
    testFraction: 0.2,
    seed: 1,
  };
}

function groupsOf(input: GroupSplitInput, rows: Int32Array): Set<number> {
  return new Set(Array.from(rows, (i) => input.groups![i]!));
}

function splitError(input: GroupSplitInput): TrainerError {
  try {
    groupSplit(input);
  } catch (err) {
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as TrainerError).code).toBe('split-failed');
    return err as TrainerError;
  }
  throw new Error('the split succeeded');
}

describe('groupSplit', () => {
  it('never puts a pump in both sets, and puts every row in exactly one', () => {
    const input = fleet(200);
    const split = groupSplit(input);
    const train = groupsOf(input, split.train);
    const test = groupsOf(input, split.test);
    expect([...test].filter((g) => train.has(g))).toEqual([]);
    expect(split.train.length + split.test.length).toBe(input.labels.length);
    expect(new Set([...split.train, ...split.test]).size).toBe(input.labels.length);
    expect(Array.from(split.testGroups)).toEqual([...test].sort((a, b) => a - b));
    expect(split.trainGroupCount).toBe(train.size);
  });

  it('holds out close to the asked-for fraction of rows, and of every class', () => {
    const input = fleet(200);
    const split = groupSplit(input);
    expect(split.test.length / input.labels.length).toBeCloseTo(0.2, 1);
    for (let c = 0; c < CLASSES.length; c++) {
      const all = input.labels.filter((l) => l === c).length;
      const held = Array.from(split.test).filter((i) => input.labels[i] === c).length;
      expect(held / all, CLASSES[c]).toBeGreaterThan(0.15);
      expect(held / all, CLASSES[c]).toBeLessThan(0.25);
    }
  });

  it('gives the same split for the same seed, another for another seed', () => {
    const input = fleet(100);
    expect(groupSplit(input).testGroups).toEqual(groupSplit(input).testGroups);
    expect(groupSplit({ ...input, seed: 2 }).testGroups).not.toEqual(groupSplit(input).testGroups);
  });

  it('does not depend on the order of the rows in the file', () => {
    const a = fleet(100);
    const b = fleet(100, { shuffleRows: true });
    const names = (input: GroupSplitInput) =>
      Array.from(groupSplit(input).testGroups, (g) => input.groupNames![g]).sort();
    expect(names(b)).toEqual(names(a));
  });

  it('stratifies when each group holds a single class', () => {
    // 40 groups of class 0, 10 of class 1, 5 of class 2: a plain group shuffle would often miss class 2
    const groups: number[] = [];
    const labels: number[] = [];
    const sizes = [40, 10, 5];
    let g = 0;
    sizes.forEach((count, label) => {
      for (let k = 0; k < count; k++) {
        for (let r = 0; r < 10; r++) {
          groups.push(g);
          labels.push(label);
        }
        g++;
      }
    });
    for (let seed = 0; seed < 20; seed++) {
      const input: GroupSplitInput = {
        labels: Int32Array.from(labels),
        classNames: ['a', 'b', 'c'],
        groups: Int32Array.from(groups),
        groupNames: Array.from({ length: g }, (_, i) => `g${i}`),
        groupColumn: 'batch',
        testFraction: 0.2,
        seed,
      };
      const split = groupSplit(input);
      const heldGroups = (label: number) =>
        Array.from(split.testGroups).filter((t) => labels[groups.indexOf(t)] === label).length;
      expect([heldGroups(0), heldGroups(1), heldGroups(2)], `seed ${seed}`).toEqual([8, 2, 1]);
    }
  });

  it('splits rows one by one when there is no group column', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => i % 2);
    const split = groupSplit({
      labels,
      classNames: ['x', 'y'],
      groups: null,
      groupNames: null,
      groupColumn: 'row',
      testFraction: 0.25,
      seed: 3,
    });
    expect(split.test.length).toBe(250);
    expect(Array.from(split.testGroups)).toEqual(Array.from(split.test));
  });

  it('explains that one pump cannot be split between training and held-out rows', () => {
    const err = splitError(fleet(1));
    expect(err.message).toMatch(/^nothing left to train on: pump_id has only 1 distinct value/);
    expect(err.message).toContain('more pumps');
  });

  it('holds out one of two pumps rather than none', () => {
    const split = groupSplit(fleet(2));
    expect(split.testGroups).toHaveLength(1);
    expect(split.trainGroupCount).toBe(1);
  });

  it('explains which class a set lacks and what to change', () => {
    // one pump alone reaches WARNING: whichever side it lands on, the other has no WARNING rows
    const input = fleet(50);
    const labels = Int32Array.from(input.labels, (l) => (l === 1 ? 0 : l));
    labels[input.groups!.indexOf(0)] = 1;
    const err = splitError({ ...input, labels });
    expect(err.message).toMatch(
      /^(the held-out set has no WARNING rows|no WARNING rows are left for training): 1 of 50 pump_id values have WARNING rows/,
    );
    expect(err.message).toMatch(
      /--test-fraction \(now 0\.2\), another --seed, or data with more pump_id values/,
    );
  });
});
