/**
 * Telemetry in, predictions out: per-pump features into a micro-batch (bounded by rows and by time),
 * one onnxruntime run per batch, then per row the smoothed state, the prediction message, the log rows,
 * any alert, and the live score.
 */
import { FEATURE_COUNT, FeatureExtractor } from '@pdm/features';
import { isoZone } from '@pdm/pump-physics';
import {
  type Alert,
  type Counter,
  type Histogram,
  type LiveScorer,
  type Logger,
  type Prediction,
  PUMP_STATES,
  type PumpState,
  type Telemetry,
  topics,
} from '@pdm/telemetry';
import type { AlertPolicy } from './alerts.ts';
import type { DailyLog } from './daily-log.ts';
import { predict } from './model.ts';
import type { ModelHolder } from './model-holder.ts';
import type { Smoother } from './smoother.ts';

export const CSV_HEADER = [
  'ts',
  'pump_id',
  'seq',
  'state',
  'raw_state',
  ...PUMP_STATES.map((s) => `p_${s}`),
  'vibration_rms',
  'iso_zone',
  'model_version',
  'latency_ms',
].join(',');

/** Constant, frozen label sets: the metrics registry renders each only once. */
const STATE_LABELS = Object.fromEntries(PUMP_STATES.map((s) => [s, Object.freeze({ state: s })])) as Record<
  PumpState,
  Readonly<{ state: PumpState }>
>;

export interface PipelineOptions {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  /** rows waiting beyond this make accept() return a promise: the broker holds the rest */
  readonly maxQueuedRows: number;
}

export interface PipelineMetrics {
  readonly predictions: Counter;
  readonly duplicates: Counter;
  readonly alerts: Counter;
  readonly batchSize: Histogram;
  readonly inferenceMs: Histogram;
  readonly latencyMs: Histogram;
}

export interface PipelineParts {
  readonly models: ModelHolder;
  readonly smoother: Smoother;
  readonly alerts: AlertPolicy;
  readonly scorer: LiveScorer;
  readonly jsonl: DailyLog;
  readonly csv: DailyLog;
  /** QoS 1 publish; a returned promise means "wait before sending more" */
  readonly publish: (topic: string, payload: string) => Promise<void> | undefined;
  readonly metrics: PipelineMetrics;
  readonly logger: Logger;
}

interface Row {
  readonly sample: Telemetry;
  readonly receivedAt: number;
}

interface Batch {
  readonly features: Float32Array;
  readonly rows: Row[];
}

export class Pipeline {
  readonly #extractor = new FeatureExtractor();
  readonly #queue: Batch[] = [];
  #current: Batch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #queuedRows = 0;
  #idle: Array<() => void> = [];
  readonly #options: PipelineOptions;
  readonly #parts: PipelineParts;

  constructor(options: PipelineOptions, parts: PipelineParts) {
    this.#options = options;
    this.#parts = parts;
  }

  /**
   * Takes one validated sample. Returns a promise only when the pipeline is full; awaiting it holds the
   * MQTT connection back. A redelivered or out-of-order sample is counted and skipped: its prediction
   * was already made.
   */
  accept(sample: Telemetry, receivedAt: number): Promise<void> | undefined {
    if (!this.#current)
      this.#current = { features: new Float32Array(this.#options.maxBatch * FEATURE_COUNT), rows: [] };
    const batch = this.#current;
    if (!this.#extractor.push(sample, batch.features, batch.rows.length * FEATURE_COUNT)) {
      this.#parts.metrics.duplicates.inc();
      return undefined;
    }
    batch.rows.push({ sample, receivedAt });
    this.#queuedRows += 1;
    if (batch.rows.length >= this.#options.maxBatch) this.#seal();
    else this.#timer ??= setTimeout(() => this.#seal(), this.#options.maxWaitMs);
    return this.#queuedRows > this.#options.maxQueuedRows
      ? this.#waitBelow(this.#options.maxQueuedRows / 2)
      : undefined;
  }

  /** Resolves when everything accepted so far has been predicted, published and logged. */
  drain(): Promise<void> {
    this.#seal();
    return this.#waitBelow(1);
  }

  #waitBelow(rows: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.#queuedRows < rows) resolve();
        else this.#idle.push(check);
      };
      check();
    });
  }

  #seal(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#current;
    this.#current = undefined;
    if (batch && batch.rows.length > 0) this.#queue.push(batch);
    this.#kick();
  }

  #kick(): void {
    if (this.#running) return;
    const batch = this.#queue.shift();
    if (!batch) return;
    this.#running = true;
    this.#process(batch)
      .catch((err: unknown) => this.#parts.logger.error({ err, rows: batch.rows.length }, 'batch failed'))
      .finally(() => {
        this.#running = false;
        this.#queuedRows -= batch.rows.length;
        const waiting = this.#idle;
        this.#idle = [];
        for (const check of waiting) check();
        this.#kick();
      });
  }

  async #process(batch: Batch): Promise<void> {
    const { models, smoother, alerts, scorer, metrics } = this.#parts;
    const lease = models.lease();
    if (!lease) throw new Error('no model loaded');
    const { model } = lease;
    const n = batch.rows.length;
    let labels: readonly string[];
    let probabilities: Float32Array;
    const started = performance.now();
    try {
      const out = await predict(model, batch.features.subarray(0, n * FEATURE_COUNT), n);
      labels = out.labels;
      probabilities = out.probabilities;
    } finally {
      lease.release();
    }
    metrics.inferenceMs.observe(performance.now() - started);
    metrics.batchSize.observe(n);

    const classes = model.classes;
    let jsonl = '';
    let csv = '';
    let hold: Promise<void> | undefined;
    for (let i = 0; i < n; i++) {
      const { sample, receivedAt } = batch.rows[i] as Row;
      const raw = labels[i] as PumpState;
      const smoothed = smoother.update(sample.pump_id, raw);
      const probs: Partial<Record<PumpState, number>> = {};
      for (let c = 0; c < classes.length; c++) {
        probs[classes[c] as PumpState] =
          Math.round((probabilities[i * classes.length + c] as number) * 10_000) / 10_000;
      }
      const zone = isoZone(sample.vibration_rms);
      const latency = Math.round((performance.now() - receivedAt) * 100) / 100;
      const prediction: Prediction = {
        pump_id: sample.pump_id,
        ts: sample.ts,
        seq: sample.seq,
        state: smoothed.state,
        raw_state: raw,
        probabilities: probs,
        vibration_rms: sample.vibration_rms,
        iso_zone: zone,
        model_version: model.version,
        latency_ms: latency,
      };
      const line = JSON.stringify(prediction);
      hold = this.#parts.publish(topics.predictions(sample.pump_id), line) ?? hold;
      jsonl += `${line}\n`;
      let probColumns = '';
      for (const state of PUMP_STATES) probColumns += `${probs[state] ?? ''},`;
      csv += `${sample.ts},${sample.pump_id},${sample.seq},${smoothed.state},${raw},${probColumns}${sample.vibration_rms},${zone},${model.version},${latency}\n`;
      metrics.predictions.inc(STATE_LABELS[smoothed.state]);
      metrics.latencyMs.observe(latency);

      const kind = alerts.decide(sample.pump_id, smoothed.previous, smoothed.state, sample.ts);
      scorer.addPrediction(sample.pump_id, sample.seq, smoothed.state, kind === 'alarm');
      if (kind) {
        const alert: Alert = {
          pump_id: sample.pump_id,
          ts: sample.ts,
          seq: sample.seq,
          kind,
          state: smoothed.state,
          previous_state: smoothed.previous,
          model_version: model.version,
          evidence: {
            raw_states: [...smoothed.recent],
            probabilities: probs,
            vibration_rms: sample.vibration_rms,
            iso_zone: zone,
            temperature: sample.temperature,
          },
        };
        metrics.alerts.inc({ kind, state: smoothed.state });
        hold = this.#parts.publish(topics.alerts(sample.pump_id), JSON.stringify(alert)) ?? hold;
      }
    }
    const now = Date.now();
    this.#parts.jsonl.write(jsonl, now);
    this.#parts.csv.write(csv, now);
    if (hold) await hold;
  }
}
