/**
 * Balancing: how many rows of each state to write, and which. Exact and constant-memory: the counts come
 * first, then one pass picks the rows with selection sampling (Knuth, TAOCP vol. 2, 3.4.2, Algorithm S),
 * which keeps each row with probability still-needed / still-to-come and so ends with exactly the target,
 * every subset of that size equally likely, without holding a single row.
 */

import { PUMP_STATES, type PumpState } from '@pdm/contract';
import { Rng } from '@pdm/random';
import type { BalanceMode } from './options.ts';

export type StateCounts = Readonly<Record<PumpState, number>>;

export function zeroCounts(): Record<PumpState, number> {
  return { HEALTHY: 0, WARNING: 0, FAULTY: 0, BROKEN: 0 };
}

export function totalOf(counts: StateCounts): number {
  return PUMP_STATES.reduce((sum, state) => sum + counts[state], 0);
}

/** Counts that never run out: a sampler given them as available and as targets keeps every row. */
export function everyRow(): StateCounts {
  const all = Number.POSITIVE_INFINITY;
  return { HEALTHY: all, WARNING: all, FAULTY: all, BROKEN: all };
}

/**
 * Rows to write per state. undersample: the rarest state that has any rows sets the size of every class
 * (a state with none cannot be made up for, and zero would leave nothing); none: every row. Both capped
 * by maxPerClass.
 */
export function classTargets(inRange: StateCounts, mode: BalanceMode, maxPerClass?: number): StateCounts {
  const cap = maxPerClass ?? Number.POSITIVE_INFINITY;
  const present = PUMP_STATES.map((s) => inRange[s]).filter((n) => n > 0);
  const minority = present.length === 0 ? 0 : Math.min(...present);
  const targets = zeroCounts();
  for (const state of PUMP_STATES) {
    const wanted = mode === 'undersample' ? minority : inRange[state];
    targets[state] = Math.min(inRange[state], wanted, cap);
  }
  return targets;
}

const STATE_INDEX: Readonly<Record<PumpState, number>> = { HEALTHY: 0, WARNING: 1, FAULTY: 2, BROKEN: 3 };

export class SelectionSampler {
  readonly #needed = new Float64Array(PUMP_STATES.length);
  readonly #remaining = new Float64Array(PUMP_STATES.length);
  readonly #kept = new Float64Array(PUMP_STATES.length);
  readonly #offered = new Float64Array(PUMP_STATES.length);
  readonly #random: readonly Rng[];
  /** rows of each state to keep */
  readonly targets: StateCounts;

  /**
   * `available`: rows of each state the pass will offer; `targets`: rows of each state to keep.
   * Each state draws from its own random stream, so one state's choice does not depend on the others.
   */
  constructor(available: StateCounts, targets: StateCounts, seed: number) {
    for (const state of PUMP_STATES) {
      const i = STATE_INDEX[state];
      this.#remaining[i] = available[state];
      this.#needed[i] = Math.min(targets[state], available[state]);
    }
    this.#random = PUMP_STATES.map((_, i) => new Rng(seed, i));
    this.targets = this.#snapshot(this.#needed);
  }

  /** Offers the next row of `state`; true when it is to be written. */
  offer(state: PumpState): boolean {
    const i = STATE_INDEX[state];
    const remaining = this.#remaining[i] as number;
    const needed = this.#needed[i] as number;
    this.#remaining[i] = remaining - 1;
    this.#offered[i] = (this.#offered[i] as number) + 1;
    if (needed <= 0) return false;
    // `remaining <= needed` also covers rows the count did not see (a store written to meanwhile):
    // they are kept while the target is not met, so the target still holds.
    if (remaining <= needed || (this.#random[i] as Rng).next() * remaining < needed) {
      this.#needed[i] = needed - 1;
      this.#kept[i] = (this.#kept[i] as number) + 1;
      return true;
    }
    return false;
  }

  /** A row of `state` that passed by and cannot be written (no features): it is no longer to come. */
  skip(state: PumpState): void {
    const i = STATE_INDEX[state];
    this.#remaining[i] = (this.#remaining[i] as number) - 1;
    this.#offered[i] = (this.#offered[i] as number) + 1;
  }

  get kept(): StateCounts {
    return this.#snapshot(this.#kept);
  }

  /** rows of each state offered or skipped so far */
  get offered(): StateCounts {
    return this.#snapshot(this.#offered);
  }

  #snapshot(values: Float64Array): StateCounts {
    const counts = zeroCounts();
    for (const state of PUMP_STATES) counts[state] = values[STATE_INDEX[state]] as number;
    return counts;
  }
}
