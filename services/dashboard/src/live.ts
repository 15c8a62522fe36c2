/**
 * What the bus says now: each message validated against the contract, then into the fleet state, the
 * live score, the service statuses and the browsers' event streams. A message the dashboard cannot read
 * is counted by reason, logged (rate-limited) and kept in a short list for the pipeline view; nothing is
 * published, since the dashboard reads as the broker's read-only `viewer`.
 */
import {
  type Alert,
  alertSchema,
  clipTopic,
  type Expectations,
  type GroundTruth,
  groundTruthSchema,
  type InvalidReason,
  type Prediction,
  parseTopic,
  predictionSchema,
  statusSchema,
  type Telemetry,
  telemetrySchema,
  topicFilter,
  validateMessage,
} from '@pdm/contract';
import type { Counter, MetricsRegistry, RateLimitedLog } from '@pdm/service-kit';
import type { PipelineResponse, ServiceStatus } from './api/contract.ts';
import type { FleetState } from './fleet-state.ts';
import { Recent } from './recent.ts';
import { alertRow, predictionRow, seriesPoint } from './rows.ts';
import type { LiveScoring } from './scoring.ts';
import type { SseHub } from './sse.ts';

export const LIVE_FILTERS: readonly string[] = [
  topicFilter('predictions'),
  topicFilter('alerts'),
  topicFilter('groundtruth'),
  topicFilter('status'),
  topicFilter('telemetry'),
];

const EXPECTED: Expectations<Prediction | Alert | GroundTruth | Telemetry> = {
  predictions: predictionSchema,
  alerts: alertSchema,
  groundtruth: groundTruthSchema,
  telemetry: telemetrySchema,
};

/** Messages the dashboard could not read, kept for /api/pipeline. */
export const INVALID_KEPT = 50;

export type InvalidOnBus = PipelineResponse['invalidOnBus'][number];

/** Why a status message was refused: the contract's reasons, for the same counter. */
type StatusProblem = { readonly reason: InvalidReason; readonly detail: string };

export interface LiveMetrics {
  /** messages received, by topic kind ('unknown' outside the layout) */
  readonly messages: Counter<'kind'>;
  readonly invalid: Counter<'reason'>;
  /** predictions of new pumps beyond the fleet's bound */
  readonly refused: Counter;
}

/** The live path's counters on `registry`. */
export function liveMetrics(registry: MetricsRegistry): LiveMetrics {
  return {
    messages: registry.counter('pdm_dashboard_messages_total', 'MQTT messages received, by topic kind', [
      'kind',
    ]),
    invalid: registry.counter(
      'pdm_dashboard_invalid_total',
      'messages on the bus the dashboard could not read, by reason',
      ['reason'],
    ),
    refused: registry.counter(
      'pdm_dashboard_pumps_refused_total',
      'predictions of new pumps beyond the fleet view’s bound',
    ),
  };
}

export interface LiveParts {
  readonly fleet: FleetState;
  readonly scoring: LiveScoring;
  readonly hub: SseHub;
  readonly metrics: LiveMetrics;
  readonly log: RateLimitedLog;
  readonly now?: () => number;
}

/** Label sets made once, not per message. */
const KIND_LABELS = Object.fromEntries(
  ['predictions', 'alerts', 'groundtruth', 'status', 'telemetry', 'training', 'unknown'].map((kind) => [
    kind,
    Object.freeze({ kind }),
  ]),
) as Record<string, Readonly<{ kind: string }>>;

export class LiveData {
  readonly #parts: LiveParts;
  readonly #now: () => number;
  readonly #invalid = new Recent<InvalidOnBus>(INVALID_KEPT);
  readonly #statuses = new Map<string, ServiceStatus>();

  constructor(parts: LiveParts) {
    this.#parts = parts;
    this.#now = parts.now ?? Date.now;
  }

  /** The MQTT message handler. */
  readonly handle = (topic: string, payload: Buffer): void => {
    const { fleet, scoring, hub, metrics } = this.#parts;
    const parsed = parseTopic(topic);
    metrics.messages.inc(KIND_LABELS[parsed?.kind ?? 'unknown'] as { kind: string });
    // Telemetry matters only to a browser watching that pump; the others' is not even parsed
    // (acquisition and inference judge it and dead-letter what is wrong).
    if (parsed?.kind === 'telemetry' && !hub.watches(parsed.id)) return;
    if (parsed?.kind === 'status') {
      this.#status(topic, parsed.id, payload);
      return;
    }

    const verdict = validateMessage(topic, payload, EXPECTED, parsed);
    if (!verdict.ok) {
      this.#refuse(topic, verdict.reason, verdict.detail);
      return;
    }
    const now = this.#now();
    switch (verdict.kind) {
      case 'predictions': {
        const p = verdict.message as Prediction;
        const applied = fleet.apply(p, now);
        if (applied === 'refused') {
          metrics.refused.inc();
          this.#parts.log.warn(
            'too_many_pumps',
            { pumpId: p.pump_id, pumps: fleet.size },
            'prediction of a new pump ignored: the fleet view holds as many pumps as it may',
          );
          return;
        }
        if (applied === 'applied') scoring.prediction(p.pump_id, p.seq, p.state, now);
        if (hub.watches(p.pump_id)) hub.toWatchers(p.pump_id, 'prediction', JSON.stringify(predictionRow(p)));
        return;
      }
      case 'alerts': {
        const a = verdict.message as Alert;
        if (a.kind === 'alarm') scoring.alarm(a.pump_id, a.seq);
        hub.broadcast('alert', JSON.stringify(alertRow(a)));
        return;
      }
      case 'groundtruth': {
        const g = verdict.message as GroundTruth;
        scoring.truth(g.pump_id, g.seq, g.state);
        return;
      }
      case 'telemetry': {
        const t = verdict.message as Telemetry;
        hub.toWatchers(t.pump_id, 'sample', JSON.stringify(seriesPoint(t)));
        return;
      }
      default:
        return;
    }
  };

  /** Once a second: the fleet delta to the browsers, and the predictions that waited for an alert scored. */
  tick(): void {
    const now = this.#now();
    this.#parts.scoring.flush(now);
    const delta = this.#parts.fleet.takeDelta(now);
    if (delta) this.#parts.hub.broadcast('fleet', JSON.stringify(delta));
  }

  /** newest first */
  invalidOnBus(): InvalidOnBus[] {
    return this.#invalid.list();
  }

  /** As the retained status topics say; services never heard of are left out. */
  statuses(): ServiceStatus[] {
    return [...this.#statuses.values()].sort((a, b) => (a.service < b.service ? -1 : 1));
  }

  #status(topic: string, service: string, payload: Buffer): void {
    // An empty retained message clears the topic: the service is gone, not misbehaving.
    if (payload.length === 0) {
      this.#statuses.delete(service);
      return;
    }
    const read = readStatus(service, payload);
    if ('reason' in read) {
      this.#refuse(topic, read.reason, read.detail);
      return;
    }
    const known = this.#statuses.get(service);
    if (known?.status === read.status) return;
    const status: ServiceStatus = { service, status: read.status, since: read.ts };
    this.#statuses.set(service, status);
    this.#parts.hub.broadcast('status', JSON.stringify(status));
  }

  #refuse(topic: string, reason: InvalidReason, detail: string): void {
    const shown = clipTopic(topic);
    this.#parts.metrics.invalid.inc({ reason });
    this.#parts.log.warn(reason, { topic: shown, reason, detail }, 'unreadable message on the bus ignored');
    this.#invalid.push({ at: this.#now(), topic: shown, reason, detail });
  }
}

function readStatus(
  service: string,
  payload: Buffer,
): { readonly status: 'online' | 'offline'; readonly ts: number } | StatusProblem {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { reason: 'not_json', detail: (err as Error).message.slice(0, 500) };
  }
  const result = statusSchema.safeParse(body);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { reason: 'invalid_value', detail: detail.slice(0, 500) };
  }
  if (result.data.service !== service)
    return { reason: 'pump_mismatch', detail: `topic says ${service}, payload says ${result.data.service}` };
  return result.data;
}
