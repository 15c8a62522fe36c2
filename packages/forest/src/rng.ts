/** Seeded pseudo-random numbers, so a forest trained with the same seed is the same forest. */

/** splitmix32 step: spreads a 32-bit input into a well-mixed 32-bit output. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * sfc32 (Small Fast Counting RNG): passes PractRand and costs a few ns a draw. Streams are keyed by
 * (seed, ...keys), so tree 7 gets the same numbers whether it is built first, last or on another thread.
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

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

  /** integer on [0, n); the bias of the 32-bit draw is below 1e-4 for n up to a million */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** standard normal, Box-Muller (one value a call: simplicity over speed, it is not on a hot path) */
  normal(): number {
    const u = (this.nextUint32() + 1) / 4_294_967_296;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}
