/** String class labels ↔ integer codes, classes sorted like numpy's `np.unique` so codes match scikit-learn. */

export class LabelEncoder {
  readonly classes: readonly string[];
  readonly #codes: ReadonlyMap<string, number>;

  constructor(classes: readonly string[]) {
    for (let k = 1; k < classes.length; k++) {
      if (compareCodePoints(classes[k - 1]!, classes[k]!) >= 0) {
        throw new RangeError('classes must be unique and sorted by code point');
      }
    }
    this.classes = Object.freeze([...classes]);
    this.#codes = new Map(classes.map((c, k) => [c, k]));
  }

  static fit(labels: Iterable<string>): LabelEncoder {
    return new LabelEncoder([...new Set(labels)].sort(compareCodePoints));
  }

  transform(labels: readonly string[]): Int32Array {
    const out = new Int32Array(labels.length);
    for (const [i, label] of labels.entries()) {
      const code = this.#codes.get(label);
      if (code === undefined) throw new RangeError(`unknown label ${JSON.stringify(label)} at index ${i}`);
      out[i] = code;
    }
    return out;
  }

  inverseTransform(codes: ArrayLike<number>): string[] {
    return Array.from(codes, (code) => {
      const label = this.classes[code];
      if (label === undefined) throw new RangeError(`code ${code} is not in 0..${this.classes.length - 1}`);
      return label;
    });
  }
}

/**
 * numpy orders unicode strings by code point; JavaScript's default sort compares UTF-16 code units, which
 * puts astral characters (emoji, some CJK) before U+E000..U+FFFF. Comparing code points keeps both agreeing.
 */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca - cb;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return a.length - i - (b.length - j);
}
