/**
 * Inference's side of the subscription: this replica's pumps only, validated; ground truth to the live
 * score, telemetry to the pipeline for at most MAX_PUMPS pumps, and everything else to the dead letters.
 */
import {
  groundTruthSchema,
  type LiveScorer,
  parseTopic,
  telemetrySchema,
  validateMessage,
} from '@pdm/contract';
import type { Counter } from '@pdm/service-kit';
import type { DeadLetters } from './dead-letters.ts';
import { ownsPump } from './partition.ts';
import type { Pipeline } from './pipeline.ts';
import type { TrackedPumps } from './tracked-pumps.ts';

/** Constant label sets, made once rather than per message. */
const TELEMETRY = Object.freeze({ kind: 'telemetry' });
const GROUNDTRUTH = Object.freeze({ kind: 'groundtruth' });

export interface IntakeSettings {
  readonly replicas: number;
  readonly replica: number;
  readonly maxPumps: number;
}

export interface IntakeMetrics {
  readonly messages: Counter<'kind'>;
  readonly invalid: Counter<'reason'>;
  /** messages of new pumps beyond MAX_PUMPS */
  readonly refused: Counter;
}

export interface IntakeParts {
  readonly scorer: LiveScorer;
  readonly tracked: TrackedPumps;
  readonly pipeline: Pick<Pipeline, 'accept'>;
  readonly deadLetters: DeadLetters;
  readonly metrics: IntakeMetrics;
}

/**
 * The MQTT message handler. Its promise, for telemetry the pipeline took, resolves once the prediction
 * is with the broker: only then may the message be acknowledged.
 */
export function intake(
  settings: IntakeSettings,
  { scorer, tracked, pipeline, deadLetters, metrics }: IntakeParts,
): (topic: string, payload: Buffer) => Promise<void> | undefined {
  const invalid = (topic: string, payload: Buffer, reason: string, detail: string) => {
    metrics.invalid.inc({ reason });
    deadLetters.write(topic, payload, reason, detail, 'invalid input dead-lettered');
  };

  return (topic, payload) => {
    const receivedAt = performance.now();
    const parsed = parseTopic(topic);
    if (parsed && !ownsPump(parsed.id, settings.replicas, settings.replica)) return undefined;
    if (parsed?.kind === 'groundtruth') {
      metrics.messages.inc(GROUNDTRUTH);
      const verdict = validateMessage(topic, payload, { groundtruth: groundTruthSchema }, parsed);
      if (verdict.ok) {
        const { pump_id, seq, state, rul_h } = verdict.message;
        scorer.addTruth(pump_id, seq, state, rul_h);
      } else invalid(topic, payload, verdict.reason, verdict.detail);
      return undefined;
    }
    metrics.messages.inc(TELEMETRY);
    const verdict = validateMessage(topic, payload, { telemetry: telemetrySchema }, parsed);
    if (!verdict.ok) {
      invalid(topic, payload, verdict.reason, verdict.detail);
      return undefined;
    }
    if (!tracked.admit(verdict.message.pump_id, receivedAt)) {
      metrics.refused.inc();
      const detail = `${settings.maxPumps} pumps tracked (MAX_PUMPS); ${verdict.message.pump_id} is a new one`;
      deadLetters.write(
        topic,
        payload,
        'too_many_pumps',
        detail,
        'message of a pump beyond MAX_PUMPS dead-lettered',
      );
      return undefined;
    }
    return pipeline.accept(verdict.message, receivedAt);
  };
}
