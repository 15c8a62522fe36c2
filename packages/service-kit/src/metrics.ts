/** Prometheus metrics: counters, gauges and histograms, rendered in the text exposition format. */

type Labels = Readonly<Record<string, string>>;

interface Metric {
  readonly name: string;
  render(): string;
}

/**
 * Rendered label sets, by object: hot paths pass the same constant label objects again and again, and
 * rendering them anew for every increment showed up in profiles.
 */
const renderedLabels = new WeakMap<Labels, string>();

function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const known = renderedLabels.get(labels);
  if (known !== undefined) return known;
  const key = renderLabels(labels);
  if (Object.isFrozen(labels)) renderedLabels.set(labels, key);
  return key;
}

function renderLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

export class Counter implements Metric {
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels?: Labels, by = 1): void {
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }

  get(labels?: Labels): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }

  /** all label sets and values, e.g. for a summary */
  entries(): [string, number][] {
    return [...this.#values];
  }

  render(): string {
    const lines = [...this.#values].map(([k, v]) => `${this.name}${k} ${v}`);
    if (lines.length === 0) lines.push(`${this.name} 0`);
    return header(this.name, this.help, 'counter') + lines.join('\n');
  }
}

export class Gauge implements Metric {
  readonly #values = new Map<string, number>();
  readonly #read: (() => number) | undefined;
  constructor(
    readonly name: string,
    readonly help: string,
    /** sampled at render time, for values another component owns */
    read?: () => number,
  ) {
    this.#read = read;
  }

  set(value: number, labels?: Labels): void {
    this.#values.set(labelKey(labels), value);
  }

  get(labels?: Labels): number {
    return this.#read ? this.#read() : (this.#values.get(labelKey(labels)) ?? 0);
  }

  render(): string {
    const lines = this.#read
      ? [`${this.name} ${this.#read()}`]
      : [...this.#values].map(([k, v]) => `${this.name}${k} ${v}`);
    return header(this.name, this.help, 'gauge') + lines.join('\n');
  }
}

/** Millisecond latency buckets, fine where the targets are (1–100 ms). */
export const LATENCY_BUCKETS_MS = [
  0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000,
  10000,
] as const;

export class Histogram implements Metric {
  readonly #bounds: readonly number[];
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;
  #max = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    bounds: readonly number[] = LATENCY_BUCKETS_MS,
  ) {
    this.#bounds = bounds;
    this.#counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#sum += value;
    this.#count += 1;
    if (value > this.#max) this.#max = value;
  }

  get count(): number {
    return this.#count;
  }
  get sum(): number {
    return this.#sum;
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
    this.#sum = 0;
    this.#count = 0;
    this.#max = 0;
  }

  render(): string {
    let cumulative = 0;
    const lines = this.#bounds.map((b, i) => {
      cumulative += this.#counts[i] as number;
      return `${this.name}_bucket{le="${b}"} ${cumulative}`;
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${this.name}_sum ${this.#sum}`, `${this.name}_count ${this.#count}`);
    return header(this.name, this.help, 'histogram') + lines.join('\n');
  }
}

/** The metrics of one service, rendered together for `/metrics`. */
export class MetricsRegistry {
  readonly #metrics: Metric[] = [];

  counter(name: string, help: string): Counter {
    return this.#add(new Counter(name, help));
  }

  gauge(name: string, help: string, read?: () => number): Gauge {
    return this.#add(new Gauge(name, help, read));
  }

  histogram(name: string, help: string, bounds?: readonly number[]): Histogram {
    return this.#add(new Histogram(name, help, bounds));
  }

  render(): string {
    return `${this.#metrics.map((m) => m.render()).join('\n')}\n`;
  }

  #add<M extends Metric>(metric: M): M {
    if (this.#metrics.some((m) => m.name === metric.name))
      throw new Error(`metric ${metric.name} registered twice`);
    this.#metrics.push(metric);
    return metric;
  }
}
