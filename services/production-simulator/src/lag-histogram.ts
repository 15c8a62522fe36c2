/**
 * The scheduler's lag, for the progress log and the run summary: bucket counts, so observing costs no
 * allocation, and quantiles read off the buckets. Not a Prometheus metric (this program serves none).
 */
import { LATENCY_BUCKETS_MS } from '@pdm/service-kit';

export class LagHistogram {
  readonly #bounds: readonly number[];
  readonly #counts: Float64Array;
  #count = 0;
  #max = 0;

  constructor(bounds: readonly number[] = LATENCY_BUCKETS_MS) {
    this.#bounds = bounds;
    this.#counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#count += 1;
    if (value > this.#max) this.#max = value;
  }

  get max(): number {
    return this.#max;
  }

  /**
   * Upper bound of the bucket holding quantile q: a conservative figure (the true quantile is at most
   * this); the largest value seen when the quantile falls past the last bucket.
   */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) return Math.min(this.#bounds[i] ?? this.#max, this.#max);
    }
    return this.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#max = 0;
  }
}
