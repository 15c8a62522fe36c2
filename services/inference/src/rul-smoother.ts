/**
 * Per-pump smoothing of the remaining useful life: the median of the pump's last `window` raw values,
 * never negative. A median, not a mean: one row the regressor gets badly wrong (a chaos spike) moves it
 * not at all, while a real change (a repair) comes through after half a window.
 */
import { RUL_DECIMALS } from '@pdm/contract';

interface PumpRul {
  /** the last `window` raw values, a ring */
  readonly values: Float64Array;
  count: number;
  next: number;
  /** the RUL model that made them: a new model's figures are not mixed with the old one's */
  version: string;
}

const SCALE = 10 ** RUL_DECIMALS;

export class RulSmoother {
  readonly #pumps = new Map<string, PumpRul>();
  readonly #window: number;
  /** the median's working copy, reused */
  readonly #scratch: Float64Array;

  constructor(window: number) {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`window (${window}) must be ≥ 1`);
    this.#window = window;
    this.#scratch = new Float64Array(window);
  }

  /** pumps with a history */
  get pumps(): number {
    return this.#pumps.size;
  }

  forget(pumpId: string): void {
    this.#pumps.delete(pumpId);
  }

  /**
   * Adds the pump's raw RUL from the RUL model `version`; returns the smoothed RUL in hours (clipped at
   * 0, to the contract's resolution), or undefined while the pump has no finite value to go on.
   */
  update(pumpId: string, raw: number, version: string): number | undefined {
    let pump = this.#pumps.get(pumpId);
    if (!pump || pump.version !== version) {
      pump = { values: new Float64Array(this.#window), count: 0, next: 0, version };
      this.#pumps.set(pumpId, pump);
    }
    if (Number.isFinite(raw)) {
      pump.values[pump.next] = Math.max(raw, 0);
      pump.next = (pump.next + 1) % this.#window;
      if (pump.count < this.#window) pump.count += 1;
    }
    if (pump.count === 0) return undefined;
    return Math.round(this.#median(pump) * SCALE) / SCALE;
  }

  /** true once the pump's window is full: only then is its smoothed RUL worth an alert */
  settled(pumpId: string): boolean {
    return (this.#pumps.get(pumpId)?.count ?? 0) === this.#window;
  }

  #median({ values, count }: PumpRul): number {
    const sorted = this.#scratch.subarray(0, count);
    sorted.set(values.subarray(0, count));
    sorted.sort();
    const mid = count >> 1;
    return count % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  }
}
