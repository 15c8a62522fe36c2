/**
 * Inference's side of the subscription: this replica's pumps only, validated; ground truth (per pump, or
 * rows of a gateway message) to the live score, telemetry (per pump, or rows of a gateway message) to the pipeline for at most MAX_PUMPS pumps,
 * and everything else to the dead letters.
 */
import {
  groundTruthSchema,
  type LiveScorer,
  type ParsedTopic,
  parseTopic,
  type Telemetry,
  telemetrySchema,
  validateGatewayGroundTruth,
  validateGatewayTelemetry,
  validateMessage,
} from '@pdm/contract';
import { type Counter, type Logger, RateLimitedLog } from '@pdm/service-kit';
import type { DeadLetters } from './dead-letters.ts';
import type { PumpRoutes } from './partition.ts';
import type { Pipeline } from './pipeline.ts';
import type { TrackedPumps } from './tracked-pumps.ts';

/** Constant label sets, made once rather than per message. */
const TELEMETRY = Object.freeze({ kind: 'telemetry' });
const GATEWAY_TELEMETRY = Object.freeze({ kind: 'gateway_telemetry' });
const GROUNDTRUTH = Object.freeze({ kind: 'groundtruth' });
const GATEWAY_GROUNDTRUTH = Object.freeze({ kind: 'gateway_groundtruth' });

export interface IntakeSettings {
  readonly replicas: number;
  readonly replica: number;
  readonly maxPumps: number;
}

export interface IntakeMetrics {
  readonly messages: Counter<'kind'>;
  /** rows of gateway messages, valid or not */
  readonly gatewayRows: Counter;
  readonly invalid: Counter<'reason'>;
  /** messages (or gateway rows) of new pumps beyond MAX_PUMPS */
  readonly refused: Counter;
  /** per-pump telemetry of a pump this replica takes from a gateway (see PumpRoutes) */
  readonly routeConflicts: Counter;
}

export interface IntakeParts {
  readonly scorer: LiveScorer;
  readonly tracked: TrackedPumps;
  readonly routes: PumpRoutes;
  readonly pipeline: Pick<Pipeline, 'accept'>;
  readonly deadLetters: DeadLetters;
  readonly metrics: IntakeMetrics;
  readonly logger: Logger;
}

/** A bad gateway row as its dead letter holds it: the row alone, as sent. */
const rowPayload = (row: unknown): Buffer => Buffer.from(JSON.stringify(row) ?? 'undefined');

/**
 * The MQTT message handler. Its promise, for telemetry the pipeline took, resolves once the prediction
 * (for a gateway message: every row's) is with the broker: only then may the message be acknowledged.
 */
export function intake(
  settings: IntakeSettings,
  { scorer, tracked, routes, pipeline, deadLetters, metrics, logger }: IntakeParts,
): (topic: string, payload: Buffer) => Promise<void> | undefined {
  const routeLog = new RateLimitedLog(logger.child({ component: 'partition' }));
  const invalid = (topic: string, payload: Buffer, reason: string, detail: string) => {
    metrics.invalid.inc({ reason });
    deadLetters.write(topic, payload, reason, detail, 'invalid input dead-lettered');
  };

  /** One valid sample into the pipeline, unless it is a new pump beyond MAX_PUMPS. */
  const take = (
    topic: string,
    sample: Telemetry,
    receivedAt: number,
    payload: () => Buffer,
  ): Promise<void> | undefined => {
    if (!tracked.admit(sample.pump_id, receivedAt)) {
      metrics.refused.inc();
      const detail = `${settings.maxPumps} pumps tracked (MAX_PUMPS); ${sample.pump_id} is a new one`;
      deadLetters.write(
        topic,
        payload(),
        'too_many_pumps',
        detail,
        'message of a pump beyond MAX_PUMPS dead-lettered',
      );
      return undefined;
    }
    return pipeline.accept(sample, receivedAt);
  };

  /**
   * A gateway message: its rows go into the micro-batches as per-pump samples would, each validated on
   * its own. A bad row is dead-lettered with its reason (the dead letter holds the row and names its
   * place) while its neighbours are predicted. The promise covers every row's batch.
   */
  const onGateway = (
    topic: string,
    payload: Buffer,
    parsed: ParsedTopic,
    receivedAt: number,
  ): Promise<void> | undefined => {
    metrics.messages.inc(GATEWAY_TELEMETRY);
    const verdict = validateGatewayTelemetry(topic, payload, parsed);
    if (!verdict.ok) {
      invalid(topic, payload, verdict.reason, verdict.detail);
      return undefined;
    }
    metrics.gatewayRows.inc(verdict.samples.length + verdict.rejected.length);
    for (const r of verdict.rejected) invalid(topic, rowPayload(r.row), r.reason, r.detail);
    // Consecutive rows mostly share a batch, and so its promise: wait on each batch once.
    const batches: Promise<void>[] = [];
    let last: Promise<void> | undefined;
    for (const sample of verdict.samples) {
      routes.viaGateway(sample.pump_id, verdict.gatewayId);
      const published = take(topic, sample, receivedAt, () => Buffer.from(JSON.stringify(sample)));
      if (published && published !== last) batches.push(published);
      last = published ?? last;
    }
    if (batches.length <= 1) return batches[0];
    return Promise.all(batches).then(() => undefined);
  };

  /**
   * A gateway's ground truth: each valid row goes to the live score as a per-pump truth would, each bad
   * one is dead-lettered with its reason. It comes to the replica that owns the gateway, as its telemetry.
   */
  const onGatewayTruth = (topic: string, payload: Buffer, parsed: ParsedTopic): undefined => {
    metrics.messages.inc(GATEWAY_GROUNDTRUTH);
    const verdict = validateGatewayGroundTruth(topic, payload, parsed);
    if (!verdict.ok) {
      invalid(topic, payload, verdict.reason, verdict.detail);
      return undefined;
    }
    for (const r of verdict.rejected) invalid(topic, rowPayload(r.row), r.reason, r.detail);
    for (const { pump_id, seq, state, rul_h } of verdict.samples) scorer.addTruth(pump_id, seq, state, rul_h);
    return undefined;
  };

  return (topic, payload) => {
    const receivedAt = performance.now();
    const parsed = parseTopic(topic);
    if (parsed?.kind === 'groundtruth') {
      // The ground truth goes where the pump's telemetry went: with replicas, a gateway's pumps are not
      // where their own topics hash to.
      if (settings.replicas > 1 && !tracked.has(parsed.id)) return undefined;
      metrics.messages.inc(GROUNDTRUTH);
      const verdict = validateMessage(topic, payload, { groundtruth: groundTruthSchema }, parsed);
      if (verdict.ok) {
        const { pump_id, seq, state, rul_h } = verdict.message;
        scorer.addTruth(pump_id, seq, state, rul_h);
      } else invalid(topic, payload, verdict.reason, verdict.detail);
      return undefined;
    }
    if (parsed && !routes.owns(parsed)) {
      const gateway = routes.conflict(parsed);
      if (gateway !== undefined) {
        metrics.routeConflicts.inc();
        routeLog.warn(
          'route_conflict',
          { pump_id: parsed.id, gateway_id: gateway },
          'a pump of one of this replica’s gateways also arrives on its own topic, which another replica takes: two replicas keep its state; send each pump one way only',
        );
      }
      return undefined;
    }
    if (parsed?.kind === 'gateway_telemetry') return onGateway(topic, payload, parsed, receivedAt);
    if (parsed?.kind === 'gateway_groundtruth') return onGatewayTruth(topic, payload, parsed);
    metrics.messages.inc(TELEMETRY);
    const verdict = validateMessage(topic, payload, { telemetry: telemetrySchema }, parsed);
    if (!verdict.ok) {
      invalid(topic, payload, verdict.reason, verdict.detail);
      return undefined;
    }
    return take(topic, verdict.message, receivedAt, () => payload);
  };
}
