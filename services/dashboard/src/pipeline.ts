/**
 * The pipeline view's figures, from the services' own /metrics (METRICS_URLS), scraped every few seconds:
 * rates per second over the last minute from counters (a restarted service's counter starting over is
 * not a negative rate), inference latency p99 from its histogram's buckets over the same minute, and the
 * InfluxDB backlog. Each URL's last scrape is reported, with its error.
 */
import type { Logger } from '@pdm/service-kit';
import type { PipelineResponse } from './api/contract.ts';
import type { MetricsTarget } from './options.ts';
import { bucketsOf, parsePrometheusText, quantileOf, sumOf } from './prometheus.ts';

/** The services' metric names (services/acquisition/src/app.ts, services/inference/src/metrics.ts). */
export const PIPELINE_METRICS = {
  stored: 'pdm_acquisition_stored_total',
  backlog: 'pdm_acquisition_backlog_rows',
  predictions: 'pdm_inference_predictions_total',
  latency: 'pdm_inference_latency_ms',
} as const;

export interface ScrapeSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** the window rates and the p99 are computed over */
  readonly windowMs: number;
}

export const DEFAULT_SCRAPE: ScrapeSettings = { intervalMs: 5_000, timeoutMs: 2_000, windowMs: 60_000 };

interface Point {
  readonly at: number;
  readonly stored: number | undefined;
  readonly predictions: number | undefined;
  readonly backlog: number | undefined;
  readonly latency: ReadonlyMap<number, number> | undefined;
}

export type PipelineFigures = Pick<
  PipelineResponse,
  'ingestPerS' | 'predictionsPerS' | 'inferenceLatencyP99Ms' | 'backlog' | 'scrape'
>;

export class PipelineScraper {
  readonly #targets: readonly MetricsTarget[];
  readonly #settings: ScrapeSettings;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #points = new Map<string, Point[]>();
  readonly #last = new Map<string, { ok: boolean; error?: string }>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    targets: readonly MetricsTarget[],
    settings: ScrapeSettings,
    log: Logger,
    now: () => number = Date.now,
  ) {
    this.#targets = targets;
    this.#settings = settings;
    this.#log = log;
    this.#now = now;
  }

  start(): void {
    const tick = () => {
      this.#running ??= this.scrapeOnce().finally(() => {
        this.#running = undefined;
      });
    };
    tick();
    this.#timer = setInterval(tick, this.#settings.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#abort.abort();
    await this.#running;
  }

  /** Scrapes every target once, in parallel. */
  async scrapeOnce(): Promise<void> {
    await Promise.all(this.#targets.map((t) => this.#scrape(t)));
  }

  figures(): PipelineFigures {
    const rate = (pick: (p: Point) => number | undefined) =>
      sumOver(this.#targets, (t) => rateOf(this.#points.get(t.url) ?? [], pick));
    const latency = sumBuckets(
      this.#targets.map((t) => bucketDelta(this.#points.get(t.url) ?? [], (p) => p.latency)),
    );
    return {
      ingestPerS: rate((p) => p.stored),
      predictionsPerS: rate((p) => p.predictions),
      inferenceLatencyP99Ms: latency ? (quantileOf(latency, 0.99) ?? null) : null,
      backlog: sumOver(this.#targets, (t) => this.#points.get(t.url)?.at(-1)?.backlog),
      scrape: this.#targets.map((t) => ({
        url: t.url,
        ...(this.#last.get(t.url) ?? { ok: false, error: 'not scraped yet' }),
      })),
    };
  }

  async #scrape(target: MetricsTarget): Promise<void> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#settings.timeoutMs)]);
    let text: string;
    try {
      const response = await fetch(target.url, { signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } catch (err) {
      if (this.#abort.signal.aborted) return;
      const error =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${this.#settings.timeoutMs} ms`
          : describe(err);
      if (this.#last.get(target.url)?.error !== error)
        this.#log.warn({ target: target.name, url: target.url, error }, 'cannot scrape metrics');
      this.#last.set(target.url, { ok: false, error });
      return;
    }
    const scrape = parsePrometheusText(text);
    const at = this.#now();
    const points = this.#points.get(target.url) ?? [];
    points.push({
      at,
      stored: sumOf(scrape, PIPELINE_METRICS.stored),
      predictions: sumOf(scrape, PIPELINE_METRICS.predictions),
      backlog: sumOf(scrape, PIPELINE_METRICS.backlog),
      latency: bucketsOf(scrape, PIPELINE_METRICS.latency),
    });
    // Keep the window and one point before it, for a rate over the whole minute.
    while (points.length > 2 && (points[1] as Point).at < at - this.#settings.windowMs) points.shift();
    this.#points.set(target.url, points);
    if (this.#last.get(target.url)?.ok === false)
      this.#log.info({ target: target.name, url: target.url }, 'scraping metrics again');
    this.#last.set(target.url, { ok: true });
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/**
 * The first point after the counter last started over (a restarted service) and the newest one, both with
 * the counter; undefined with fewer than two such points.
 */
function sinceRestart(
  points: readonly Point[],
  counter: (p: Point) => number | undefined,
): readonly [first: Point, last: Point] | undefined {
  let first: Point | undefined;
  let previous: number | undefined;
  let last: Point | undefined;
  for (const p of points) {
    const v = counter(p);
    if (v === undefined) continue;
    if (first === undefined || (previous !== undefined && v < previous)) first = p;
    previous = v;
    last = p;
  }
  return first && last && last.at > first.at ? [first, last] : undefined;
}

/** Per second, over the points since the counter last started over. */
function rateOf(points: readonly Point[], counter: (p: Point) => number | undefined): number | undefined {
  const span = sinceRestart(points, counter);
  if (!span) return undefined;
  const [first, last] = span;
  return ((counter(last) as number) - (counter(first) as number)) / ((last.at - first.at) / 1000);
}

/** The observations of a histogram over the same span, as cumulative buckets. */
function bucketDelta(
  points: readonly Point[],
  histogram: (p: Point) => ReadonlyMap<number, number> | undefined,
): Map<number, number> | undefined {
  const span = sinceRestart(points, (p) => {
    const buckets = histogram(p);
    return buckets ? [...buckets.values()].at(-1) : undefined;
  });
  if (!span) return undefined;
  const from = histogram(span[0]) as ReadonlyMap<number, number>;
  const delta = new Map<number, number>();
  for (const [bound, count] of histogram(span[1]) as ReadonlyMap<number, number>)
    delta.set(bound, count - (from.get(bound) ?? 0));
  return delta;
}

function sumBuckets(all: readonly (Map<number, number> | undefined)[]): Map<number, number> | undefined {
  const present = all.filter((b): b is Map<number, number> => b !== undefined);
  if (present.length === 0) return undefined;
  const sum = new Map<number, number>();
  for (const buckets of present)
    for (const [bound, count] of buckets) sum.set(bound, (sum.get(bound) ?? 0) + count);
  return new Map([...sum].sort((a, b) => a[0] - b[0]));
}

/** The sum over targets of what each has; null when none has it. */
function sumOver<T>(items: readonly T[], value: (item: T) => number | undefined): number | null {
  let sum: number | null = null;
  for (const item of items) {
    const v = value(item);
    if (v !== undefined) sum = (sum ?? 0) + v;
  }
  return sum;
}
