/** Wires fleet, scheduler and sink; keeps the run's figures. */
import { CHAOS_KINDS, type ChaosKind } from '@pdm/contract';
import type { Logger, MessageSink } from '@pdm/service-kit';
import { type FleetOptions, ProductionFleet } from './fleet.ts';
import { LagHistogram } from './lag-histogram.ts';
import { epochNow, FleetScheduler } from './scheduler.ts';

export interface ProductionRunOptions {
  readonly fleet: FleetOptions;
  /** seconds to run; undefined runs until stopped */
  readonly durationS: number | undefined;
  /** publish the ground truth beside the telemetry */
  readonly groundTruth: boolean;
  readonly statsEveryS: number;
  /** seconds at the start left out of the summary's lag figures */
  readonly lagWarmupS: number;
  /**
   * Device seconds per wall-clock second. 1 is real time; 10 replays ten times faster, with device
   * timestamps and ageing exactly as in real time, e.g. to score a model on an hour in six minutes.
   */
  readonly timeScale: number;
}

export interface ProductionSummary {
  readonly pumps: number;
  readonly samples: number;
  readonly telemetrySent: number;
  readonly groundTruthSent: number;
  /** samples per chaos kind */
  readonly chaosSamples: Record<ChaosKind, number>;
  readonly acknowledged: number;
  readonly failed: number;
  readonly lagMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly seconds: number;
}

export interface ProductionSimulator {
  start(): Promise<ProductionSummary>;
  stop(): void;
}

export function createProductionSimulator(
  options: ProductionRunOptions,
  sink: MessageSink,
  logger: Logger,
): ProductionSimulator {
  const fleet = new ProductionFleet(options.fleet);
  const deviceIntervalMs = options.fleet.intervalS * 1000;
  const intervalMs = deviceIntervalMs / options.timeScale;
  const rounds =
    options.durationS === undefined
      ? Number.POSITIVE_INFINITY
      : Math.ceil((options.durationS * 1000) / deviceIntervalMs);
  // Start on the next whole interval, so samples carry round timestamps.
  const startMs = Math.ceil(epochNow() / deviceIntervalMs) * deviceIntervalMs;
  const scheduler = new FleetScheduler({ pumps: fleet.size, intervalMs, startMs, rounds });
  const lagFromMs = startMs + (options.lagWarmupS * 1000) / options.timeScale;
  const lag = new LagHistogram();
  const windowLag = new LagHistogram();
  const chaosSamples = Object.fromEntries(CHAOS_KINDS.map((k) => [k, 0])) as Record<ChaosKind, number>;
  let samples = 0;
  let telemetrySent = 0;
  let groundTruthSent = 0;

  const onDue = (pump: number, _round: number, dueMs: number): Promise<void> | undefined => {
    const out = fleet.next(pump, Math.round(startMs + (dueMs - startMs) * options.timeScale));
    samples += 1;
    for (const kind of out.chaos) chaosSamples[kind] += 1;
    let hold: Promise<void> | undefined;
    if (out.telemetry !== undefined) {
      hold = sink.send(out.telemetryTopic, out.telemetry);
      telemetrySent += 1;
    }
    if (options.groundTruth) {
      hold = sink.send(out.truthTopic, out.truth) ?? hold;
      groundTruthSent += 1;
    }
    const late = epochNow() - dueMs;
    if (dueMs >= lagFromMs) lag.observe(late);
    windowLag.observe(late);
    return hold;
  };

  return {
    stop: () => scheduler.stop(),
    async start() {
      const started = performance.now();
      logger.info(
        {
          pumps: fleet.size,
          intervalMs,
          durationS: options.durationS ?? 'forever',
          chaos: options.fleet.chaos ?? 'off',
        },
        'production fleet started',
      );
      const stats = setInterval(() => {
        logger.info(
          {
            samples,
            acknowledged: sink.confirmed,
            lagP99Ms: windowLag.quantile(0.99),
            lagMaxMs: Math.round(windowLag.max),
          },
          'fleet running',
        );
        windowLag.reset();
      }, options.statsEveryS * 1000);
      stats.unref();
      try {
        await scheduler.run(onDue);
        await sink.flush();
      } finally {
        clearInterval(stats);
      }
      return {
        pumps: fleet.size,
        samples,
        telemetrySent,
        groundTruthSent,
        chaosSamples,
        acknowledged: sink.confirmed,
        failed: sink.failed,
        lagMs: { p50: round1(lag.quantile(0.5)), p99: round1(lag.quantile(0.99)), max: round1(lag.max) },
        seconds: Math.round(performance.now() - started) / 1000,
      };
    },
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
