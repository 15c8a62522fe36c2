/** What inference reports on /metrics: every name, help text, label set and bucket, in one place. */
import { INVALID_REASONS, type LiveScorer, PUMP_STATES } from '@pdm/contract';
import type { MetricsRegistry } from '@pdm/service-kit';
import type { AlertPolicy } from './alerts.ts';
import type { IntakeMetrics } from './intake.ts';
import type { ModelMetrics } from './model-lifecycle.ts';
import type { PipelineMetrics } from './pipeline.ts';
import type { TrackedPumps } from './tracked-pumps.ts';

/**
 * The counters, gauges and histograms the parts update as things happen. A counter with a closed set of
 * labels shows each at 0 from the start, so a rate over it means something before the first event.
 */
export function inferenceMetrics(registry: MetricsRegistry) {
  const messages = registry.counter(
    'pdm_inference_messages_total',
    'messages received for this replica’s pumps, by kind',
    ['kind'],
  );
  for (const kind of ['telemetry', 'gateway_telemetry', 'groundtruth', 'gateway_groundtruth'])
    messages.inc({ kind }, 0);
  const invalid = registry.counter(
    'pdm_inference_invalid_total',
    'invalid inputs, dead-lettered, by reason',
    ['reason'],
  );
  for (const reason of INVALID_REASONS) invalid.inc({ reason }, 0);

  const reloads = registry.counter(
    'pdm_inference_model_reloads_total',
    'model loads after start-up, by result',
    ['result'],
  );
  for (const result of ['loaded', 'refused']) reloads.inc({ result }, 0);
  const model: ModelMetrics = {
    reloads,
    info: registry.gauge('pdm_inference_model_info', 'the model in service (value 1), by version', {
      labelNames: ['version'],
    }),
  };

  const rulLoads = registry.counter(
    'pdm_inference_rul_model_loads_total',
    'RUL model loads, at start-up and after, by result (refused: see the log for why)',
    ['result'],
  );
  for (const result of ['loaded', 'refused']) rulLoads.inc({ result }, 0);
  const rulModel: ModelMetrics = {
    reloads: rulLoads,
    info: registry.gauge('pdm_inference_rul_model_info', 'the RUL model in service (value 1), by version', {
      labelNames: ['version'],
    }),
  };

  const predictions = registry.counter(
    'pdm_inference_predictions_total',
    'predictions published, by smoothed state',
    ['state'],
  );
  for (const state of PUMP_STATES) predictions.inc({ state }, 0);
  const pipeline: PipelineMetrics = {
    predictions,
    duplicates: registry.counter(
      'pdm_inference_duplicates_total',
      'samples already seen, skipped: a redelivery or resend (see PushVerdict in @pdm/features)',
    ),
    outOfOrder: registry.counter(
      'pdm_inference_out_of_order_total',
      'samples skipped for being older than their pump’s newest one while their seq comes after it',
    ),
    windowRestarts: registry.counter(
      'pdm_inference_window_restarts_total',
      'feature windows started over because a pump’s device time went back and stayed back',
    ),
    alerts: registry.counter('pdm_inference_alerts_total', 'alerts published, by kind and state', [
      'kind',
      'state',
    ]),
    batchSize: registry.histogram(
      'pdm_inference_batch_size',
      'samples per model run',
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    ),
    inferenceMs: registry.histogram('pdm_inference_onnx_ms', 'time of one onnxruntime run'),
    latencyMs: registry.histogram(
      'pdm_inference_latency_ms',
      'from receipt of telemetry to publishing its prediction',
    ),
  };

  const intake: IntakeMetrics = {
    messages,
    invalid,
    gatewayRows: registry.counter(
      'pdm_inference_gateway_rows_total',
      'samples (rows) received in this replica’s gateway messages, valid or not',
    ),
    refused: registry.counter(
      'pdm_inference_pumps_refused_total',
      'messages (or gateway rows) of new pumps dead-lettered because MAX_PUMPS pumps were tracked',
    ),
    routeConflicts: registry.counter(
      'pdm_inference_route_conflicts_total',
      'telemetry on the own topic of a pump this replica takes from a gateway, which another replica takes: its state is kept twice',
    ),
  };
  const evicted = registry.counter(
    'pdm_inference_pumps_evicted_total',
    'pumps forgotten after PUMP_IDLE_EVICT_S without a message',
  );
  return { intake, model, rulModel, pipeline, evicted };
}

export type InferenceMetrics = ReturnType<typeof inferenceMetrics>;

/** The parts whose own figures are read when /metrics is scraped. */
export interface ScrapedParts {
  readonly scorer: LiveScorer;
  readonly alerts: AlertPolicy;
  readonly tracked: TrackedPumps;
}

/** The gauges read from the parts that own their figures, on each scrape, so they cannot go stale. */
export function scrapeParts(registry: MetricsRegistry, { scorer, alerts, tracked }: ScrapedParts): void {
  registry.gauge('pdm_inference_live_accuracy', 'smoothed-state accuracy against the ground truth', {
    collect: (g) => g.set(scorer.accuracy),
  });
  registry.gauge('pdm_inference_scored_total', 'predictions matched with their ground truth', {
    collect: (g) => g.set(scorer.scored),
  });
  registry.gauge('pdm_inference_false_alarms_total', 'alarms raised while the truth was HEALTHY', {
    collect: (g) => g.set(scorer.falseAlarms),
  });
  registry.gauge('pdm_inference_confusion', 'scored predictions by truth and predicted state', {
    labelNames: ['truth', 'predicted'],
    collect: (g) => {
      for (const [t, row] of scorer.confusion.entries())
        for (const [p, n] of row.entries())
          g.set({ truth: PUMP_STATES[t] as string, predicted: PUMP_STATES[p] as string }, n);
    },
  });
  registry.gauge(
    'pdm_inference_rul_mae_hours',
    'mean absolute error of the smoothed rul_h against the ground truth, hours (NaN before the first)',
    { collect: (g) => g.set(scorer.rulMae) },
  );
  registry.gauge(
    'pdm_inference_rul_rmse_hours',
    'root mean square error of the smoothed rul_h against the ground truth, hours (NaN before the first)',
    { collect: (g) => g.set(scorer.rulRmse) },
  );
  registry.gauge(
    'pdm_inference_rul_scored_total',
    'predictions with a rul_h matched with their ground truth',
    {
      collect: (g) => g.set(scorer.rulScored),
    },
  );
  registry.gauge('pdm_inference_alerts_suppressed_total', 'alerts held back by the debounce', {
    collect: (g) => g.set(alerts.suppressed),
  });
  registry.gauge('pdm_inference_pumps_tracked', 'pumps whose state inference keeps (at most MAX_PUMPS)', {
    collect: (g) => g.set(tracked.size),
  });
}
