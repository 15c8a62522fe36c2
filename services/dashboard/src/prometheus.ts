/** Just enough of the Prometheus text format to read the pipeline's figures off the services' /metrics. */

/** Each metric's samples: the label text (`{…}` without braces, '' for none) and the value. */
export type Scrape = ReadonlyMap<string, readonly { readonly labels: string; readonly value: number }[]>;

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;

export function parsePrometheusText(text: string): Scrape {
  const metrics = new Map<string, { labels: string; value: number }[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m as unknown as [string, string, string | undefined, string];
    const value = Number(raw);
    if (Number.isNaN(value)) continue;
    const samples = metrics.get(name);
    if (samples) samples.push({ labels, value });
    else metrics.set(name, [{ labels, value }]);
  }
  return metrics;
}

/** The sum over a metric's label sets; undefined when the scrape does not have it. */
export function sumOf(scrape: Scrape, name: string): number | undefined {
  const samples = scrape.get(name);
  if (!samples) return undefined;
  let sum = 0;
  for (const s of samples) sum += s.value;
  return sum;
}

/** A histogram's cumulative bucket counts by upper bound, summed over its other labels, ascending. */
export function bucketsOf(scrape: Scrape, histogram: string): Map<number, number> | undefined {
  const samples = scrape.get(`${histogram}_bucket`);
  if (!samples) return undefined;
  const buckets = new Map<number, number>();
  for (const s of samples) {
    const le = /(?:^|,)le="([^"]+)"/.exec(s.labels)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + s.value);
  }
  return new Map([...buckets].sort((a, b) => a[0] - b[0]));
}

/**
 * The q-quantile of cumulative buckets, interpolated within its bucket as Prometheus's
 * histogram_quantile does; undefined without observations. In the +Inf bucket it is the last finite bound.
 */
export function quantileOf(buckets: ReadonlyMap<number, number>, q: number): number | undefined {
  const entries = [...buckets];
  const total = entries.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of entries) {
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lowerBound;
      if (count === lowerCount) return bound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}
