/** Wires fleet, scheduler and sink; keeps the run's figures. */
import {
  CHAOS_KINDS,
  type ChaosKind,
  encodeGatewayGroundTruth,
  encodeGatewayTelemetry,
  topics,
} from '@pdm/contract';
import { formatPumpId } from '@pdm/pump-physics';
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
  /**
   * Pumps per edge gateway: each gateway sends its pumps' telemetry in one message per interval on
   * pdm/v1/gateway/<gateway_id>/telemetry, and their ground truth in one on
   * pdm/v1/gateway/<gateway_id>/groundtruth. 0 sends each pump's on its own topics.
   */
  readonly gatewaySize: number;
}

export interface ProductionSummary {
  readonly pumps: number;
  readonly samples: number;
  readonly telemetrySent: number;
  /** gateway messages sent (each holds telemetrySent's rows of its pumps); 0 without gateways */
  readonly gatewayMessagesSent: number;
  /** ground-truth messages sent: one per sample, or with gateways one per gateway and interval */
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
  const gatewaySize = options.gatewaySize;
  // The scheduler spreads its units over each interval: pumps, or gateways of gatewaySize pumps.
  const units = gatewaySize > 0 ? Math.ceil(fleet.size / gatewaySize) : fleet.size;
  const scheduler = new FleetScheduler({ pumps: units, intervalMs, startMs, rounds });
  const gateways = Array.from({ length: gatewaySize > 0 ? units : 0 }, (_, g) => {
    const id = gatewayId(options.fleet.idPrefix, g);
    return { id, topic: topics.gateway_telemetry(id), truthTopic: topics.gateway_groundtruth(id) };
  });
  const lagFromMs = startMs + (options.lagWarmupS * 1000) / options.timeScale;
  const lag = new LagHistogram();
  const windowLag = new LagHistogram();
  const chaosSamples = Object.fromEntries(CHAOS_KINDS.map((k) => [k, 0])) as Record<ChaosKind, number>;
  let samples = 0;
  let telemetrySent = 0;
  let gatewayMessagesSent = 0;
  let groundTruthSent = 0;

  const deviceTime = (dueMs: number) => Math.round(startMs + (dueMs - startMs) * options.timeScale);
  const observeLag = (dueMs: number) => {
    const late = epochNow() - dueMs;
    if (dueMs >= lagFromMs) lag.observe(late);
    windowLag.observe(late);
  };
  const countSample = (chaos: readonly ChaosKind[]) => {
    samples += 1;
    for (const kind of chaos) chaosSamples[kind] += 1;
  };
  const sendTruth = (topic: string, truth: string) => {
    if (!options.groundTruth) return undefined;
    groundTruthSent += 1;
    return sink.send(topic, truth);
  };

  const onPumpDue = (pump: number, _round: number, dueMs: number): Promise<void> | undefined => {
    const out = fleet.next(pump, deviceTime(dueMs));
    let hold: Promise<void> | undefined;
    if (out.telemetry !== undefined) {
      hold = sink.send(out.telemetryTopic, out.telemetry);
      telemetrySent += 1;
    }
    countSample(out.chaos);
    hold = sendTruth(out.truthTopic, out.truth) ?? hold;
    observeLag(dueMs);
    return hold;
  };

  /**
   * A gateway samples its pumps at one time and sends their rows together, and their ground truth in a
   * second message: at 10,000 pumps, one truth message per pump alone would saturate the broker.
   */
  const onGatewayDue = (gateway: number, _round: number, dueMs: number): Promise<void> | undefined => {
    const ts = deviceTime(dueMs);
    const rows: string[] = [];
    const truthRows: string[] = [];
    let hold: Promise<void> | undefined;
    const end = Math.min(fleet.size, (gateway + 1) * gatewaySize);
    for (let pump = gateway * gatewaySize; pump < end; pump++) {
      const out = fleet.nextRow(pump, ts);
      if (out.row !== undefined) rows.push(out.row);
      truthRows.push(out.truthRow);
      countSample(out.chaos);
    }
    const { id, topic, truthTopic } = gateways[gateway] as (typeof gateways)[number];
    // A gateway whose every pump dropped out sends no telemetry, as a per-pump fleet would; its truth
    // still goes, as it does for every sample.
    if (rows.length > 0) {
      hold = sink.send(topic, encodeGatewayTelemetry(id, ts, rows)) ?? hold;
      telemetrySent += rows.length;
      gatewayMessagesSent += 1;
    }
    hold = sendTruth(truthTopic, encodeGatewayGroundTruth(id, ts, truthRows)) ?? hold;
    observeLag(dueMs);
    return hold;
  };
  const onDue = gatewaySize > 0 ? onGatewayDue : onPumpDue;

  return {
    stop: () => scheduler.stop(),
    async start() {
      const started = performance.now();
      logger.info(
        {
          pumps: fleet.size,
          intervalMs,
          durationS: options.durationS ?? 'forever',
          gateways: gatewaySize > 0 ? `${units} of ${gatewaySize} pumps` : 'none (per-pump topics)',
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
        gatewayMessagesSent,
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

/** Gateway `g` of a fleet whose pumps are named `<prefix>-00001…`: `<prefix>-gw-00001…`. */
export function gatewayId(pumpIdPrefix: string, g: number): string {
  return formatPumpId(`${pumpIdPrefix}-gw`, g);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
