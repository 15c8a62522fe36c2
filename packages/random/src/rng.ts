/** Seeded pseudo-random numbers: the same seed always gives the same fleet, forest and sample. */

/** splitmix32 step: spreads a 32-bit input into a well-mixed 32-bit output. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * sfc32 generator (Chris Doty-Humphrey's Small Fast Counting RNG): passes PractRand, a few ns a draw.
 * Streams are keyed by (seed, ...keys), so pump 7 draws the same numbers whatever the fleet size.
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spareNormal = Number.NaN;

  constructor(seed: number, ...keys: number[]) {
    let h = mix32(seed >>> 0);
    for (const k of keys) h = mix32(h ^ mix32(k >>> 0));
    this.#a = h;
    this.#b = mix32(h ^ 0x1b873593);
    this.#c = mix32(h ^ 0xcc9e2d51);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.#c = (r + t) | 0;
    return t >>> 0;
  }

  /** uniform on [0, 1) */
  next(): number {
    return this.nextUint32() / 4_294_967_296;
  }

  /** uniform on (0, 1]: safe under log() */
  nextOpen(): number {
    return (this.nextUint32() + 1) / 4_294_967_296;
  }

  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** integer on [0, n) */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** standard normal, Box-Muller with the second value kept for the next call */
  normal(): number {
    const spare = this.#spareNormal;
    if (!Number.isNaN(spare)) {
      this.#spareNormal = Number.NaN;
      return spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.nextOpen()));
    const theta = 2 * Math.PI * this.next();
    this.#spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  gaussian(mean: number, sd: number): number {
    return mean + sd * this.normal();
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}
