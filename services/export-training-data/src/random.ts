/**
 * Seeded uniform random numbers for the sampling: the same seed gives the same training set.
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting RNG), seeded through splitmix32 so that nearby seeds
 * and stream keys give unrelated sequences.
 */

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  /** `stream` keys independent sequences under one seed, e.g. one per class. */
  constructor(seed: number, stream = 0) {
    const h = mix32(mix32(seed >>> 0) ^ mix32(stream >>> 0));
    this.#a = h;
    this.#b = mix32(h ^ 0x1b873593);
    this.#c = mix32(h ^ 0xcc9e2d51);
    // the first outputs of a fresh state are still correlated with the seed
    for (let i = 0; i < 12; i++) this.next();
  }

  /** uniform on [0, 1) */
  next(): number {
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
    return (t >>> 0) / 4_294_967_296;
  }
}
