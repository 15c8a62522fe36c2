/**
 * Prometheus metrics on prom-client. Each service has a registry of its own, never prom-client's global
 * one, so that several services in one process (tests, the demo) keep their figures apart.
 */
import { Registry as BaseRegistry, Counter, collectDefaultMetrics, Gauge, Histogram } from 'prom-client';

export { Counter, Gauge, Histogram };

/** Millisecond latency buckets, fine where the targets are (1–100 ms). */
export const LATENCY_BUCKETS_MS = [
  0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000,
  10000,
] as const;

export interface MetricsOptions {
  /**
   * prom-client's default metrics: memory (`process_resident_memory_bytes`), CPU, heap, GC and
   * event-loop lag (`nodejs_eventloop_lag_seconds`). For a service's own registry; a registry made
   * only to hand metrics to a part under test does without.
   */
  readonly processMetrics?: boolean;
}

/**
 * The metrics of one service, rendered together for `/metrics`; the methods register on this registry.
 * Label names are declared up front, as prom-client wants them.
 */
export class MetricsRegistry extends BaseRegistry {
  constructor(options: MetricsOptions = {}) {
    super();
    if (options.processMetrics) collectDefaultMetrics({ register: this });
  }

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this] });
  }

  /** `collect` runs on every scrape: for a value another part owns, read it then. */
  gauge<L extends string = never>(
    name: string,
    help: string,
    options: { readonly labelNames?: readonly L[]; readonly collect?: (gauge: Gauge<L>) => void } = {},
  ): Gauge<L> {
    const { labelNames = [], collect } = options;
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this],
      ...(collect && {
        collect(this: Gauge<L>) {
          collect(this);
        },
      }),
    });
  }

  histogram(name: string, help: string, buckets: readonly number[] = LATENCY_BUCKETS_MS): Histogram {
    return new Histogram({ name, help, buckets: [...buckets], registers: [this] });
  }
}
