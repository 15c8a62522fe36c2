/** Writes samples into an SQLite store in large transactions as they come, and counts what happened. */
import type { NewSample, SampleStore } from '@pdm/store';

export interface WriteCounts {
  /** samples stored */
  readonly inserted: number;
  /** samples identical to one stored with their pump and time: repeats */
  readonly duplicates: number;
  /** samples not stored because one with their pump and time but other values was */
  readonly conflicts: number;
}

/** Large enough that a transaction's overhead vanishes, small enough to keep memory flat. */
const BATCH = 10_000;

export class BatchedWriter {
  readonly #store: SampleStore;
  #batch: NewSample[] = [];
  #inserted = 0;
  #duplicates = 0;
  #conflicts = 0;

  constructor(store: SampleStore) {
    this.#store = store;
  }

  add(sample: NewSample): void {
    this.#batch.push(sample);
    if (this.#batch.length === BATCH) this.flush();
  }

  flush(): void {
    if (this.#batch.length === 0) return;
    const result = this.#store.write({ samples: this.#batch }).samples;
    this.#batch = [];
    this.#inserted += result.inserted;
    this.#duplicates += result.duplicates;
    this.#conflicts += result.conflicts.length;
  }

  get counts(): WriteCounts {
    return { inserted: this.#inserted, duplicates: this.#duplicates, conflicts: this.#conflicts };
  }
}
