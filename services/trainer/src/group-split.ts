/**
 * The held-out split by group: every row of a pump goes to the same side, so the score measures how the
 * model does on pumps it has never seen, not how well it remembers neighbouring samples of a known pump.
 */
import { Rng } from '@pdm/forest';
import { TrainerError } from './errors.ts';

export interface GroupSplitInput {
  /** class code per row, 0..classNames.length − 1 */
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
  /** group code per row, 0..groupNames.length − 1; null: every row is its own group */
  readonly groups: Int32Array | null;
  readonly groupNames: readonly string[] | null;
  /** for messages, e.g. `pump_id` */
  readonly groupColumn: string;
  readonly testFraction: number;
  readonly seed: number;
}

export interface GroupSplit {
  /** ascending row indices */
  readonly train: Int32Array;
  readonly test: Int32Array;
  /** group codes held out, ascending */
  readonly testGroups: Int32Array;
  readonly trainGroupCount: number;
}

/**
 * Shuffles the distinct groups with the seed (starting from their sorted names, so the split does not
 * depend on the file's row order) and takes a group into the held-out set when it brings every class's
 * held-out count closer to its share (testFraction of that class's rows), until each class has its share.
 * Measuring the distance per class, relative to each class's target, is the stratification: a group of
 * mostly HEALTHY rows is not taken once HEALTHY has its share, while a group with a rare class still is.
 * Throws a TrainerError ('split-failed') when either side would lack a class or the training side be empty.
 */
export function groupSplit(input: GroupSplitInput): GroupSplit {
  const { labels, classNames, groups, testFraction, seed } = input;
  const rows = labels.length;
  const C = classNames.length;
  const G = groups === null ? rows : input.groupNames!.length;
  const groupOf = groups === null ? (i: number) => i : (i: number) => groups[i]!;

  const counts = new Float64Array(G * C);
  const classRows = new Float64Array(C);
  for (let i = 0; i < rows; i++) {
    counts[groupOf(i) * C + labels[i]!]! += 1;
    classRows[labels[i]!]! += 1;
  }
  const target = classRows.map((n) => n * testFraction);

  const order = Int32Array.from({ length: G }, (_, g) => g);
  const names = input.groupNames;
  if (groups !== null && names)
    order.sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
  const rng = new Rng(seed, 0x6702);
  for (let k = G - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [order[k], order[j]] = [order[j]!, order[k]!];
  }

  const held = new Float64Array(C);
  const distance = (g: number) => {
    let sum = 0;
    for (let c = 0; c < C; c++) {
      if (target[c]! === 0) continue;
      const off = (held[c]! + (g < 0 ? 0 : counts[g * C + c]!) - target[c]!) / target[c]!;
      sum += off * off;
    }
    return sum;
  };
  const isTest = new Uint8Array(G);
  const take = (g: number) => {
    isTest[g] = 1;
    for (let c = 0; c < C; c++) held[c]! += counts[g * C + c]!;
  };
  let taken = 0;
  for (const g of order) {
    if (held.every((h, c) => h >= target[c]!)) break;
    if (distance(g) < distance(-1)) {
      take(g);
      taken++;
    }
  }
  // No single group brings the shares closer (e.g. two pumps, 20 % wanted): hold out the least harmful one.
  if (taken === 0 && G > 0) {
    let best = order[0]!;
    for (const g of order) if (distance(g) < distance(best)) best = g;
    take(best);
  }

  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < rows; i++) (isTest[groupOf(i)] ? test : train).push(i);
  const testGroups = Int32Array.from(order.filter((g) => isTest[g] === 1)).sort();
  const split = {
    train: Int32Array.from(train),
    test: Int32Array.from(test),
    testGroups,
    trainGroupCount: G - testGroups.length,
  };
  checkSplit(input, split, counts, G);
  return split;
}

function checkSplit(input: GroupSplitInput, split: GroupSplit, counts: Float64Array, G: number): void {
  const { classNames, groupColumn, testFraction } = input;
  const C = classNames.length;
  const what = input.groups === null ? 'rows' : `${groupColumn} values`;
  if (split.train.length === 0) {
    throw new TrainerError(
      'split-failed',
      `nothing left to train on: ${groupColumn} has only ${G} distinct value${G === 1 ? '' : 's'}, and the split ` +
        `never puts one ${groupColumn} in both sets. Train on data from more pumps, or name a different --group.`,
    );
  }
  const isTest = new Uint8Array(G);
  for (const g of split.testGroups) isTest[g] = 1;
  for (let c = 0; c < C; c++) {
    let inTest = 0;
    let inTrain = 0;
    for (let g = 0; g < G; g++) {
      if (counts[g * C + c]! > 0) {
        if (isTest[g]) inTest++;
        else inTrain++;
      }
    }
    const name = classNames[c]!;
    const having = `${inTest + inTrain} of ${G} ${what} have ${name} rows`;
    if (inTest === 0) {
      throw new TrainerError(
        'split-failed',
        `the held-out set has no ${name} rows: ${having}, and the split keeps each ${groupColumn} whole. ` +
          `Use a larger --test-fraction (now ${testFraction}), another --seed, or data with more ${what} that reach ${name}.`,
      );
    }
    if (inTrain === 0) {
      throw new TrainerError(
        'split-failed',
        `no ${name} rows are left for training: ${having}, and all of them were held out. ` +
          `Use a smaller --test-fraction (now ${testFraction}), another --seed, or data with more ${what} that reach ${name}.`,
      );
    }
  }
}
