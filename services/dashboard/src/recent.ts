/** The last few items of a stream, newest first: a fixed array written round, nothing else kept. */
export class Recent<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #count = 0;

  constructor(capacity: number) {
    this.#items = new Array<T | undefined>(capacity).fill(undefined);
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.#items.length;
    this.#count = Math.min(this.#count + 1, this.#items.length);
  }

  /** newest first */
  list(): T[] {
    const out: T[] = [];
    for (let i = 1; i <= this.#count; i++) {
      out.push(this.#items[(this.#next - i + this.#items.length) % this.#items.length] as T);
    }
    return out;
  }
}
