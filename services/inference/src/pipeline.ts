/**
 * Telemetry in, predictions out: per-pump features into a micro-batch (bounded by rows and by time), one
 * onnxruntime run per model per batch on the same features (predict: the state model, and the RUL model
 * where one serves), then per row its verdict (smoothed state and RUL, prediction, alerts, live score), the
 * messages to the broker (publish) and the rows of the prediction log (log).
 */

import {
  type Alert,
  type AlertKind,
  isoZone,
  type LiveScorer,
  type Prediction,
  PUMP_STATES,
  type PumpState,
  type Telemetry,
  topics,
} from '@pdm/contract';
import { FEATURE_COUNT, FeatureExtractor, type PushVerdict } from '@pdm/features';
import { type Counter, type Histogram, type Logger, RateLimitedLog } from '@pdm/service-kit';
import type { AlertPolicy } from './alerts.ts';
import { type LoadedModel, type ModelOutput, predict } from './model.ts';
import type { ModelHolder } from './model-holder.ts';
import { type PredictionFiles, PredictionLog } from './prediction-log.ts';
import { predictRul, type RulModel } from './rul-model.ts';
import type { RulSmoother } from './rul-smoother.ts';
import type { Smoother } from './smoother.ts';

export interface PipelineOptions {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
}

export interface PipelineMetrics {
  readonly predictions: Counter<'state'>;
  readonly duplicates: Counter;
  readonly outOfOrder: Counter;
  readonly windowRestarts: Counter;
  readonly alerts: Counter<'kind' | 'state'>;
  readonly batchSize: Histogram;
  readonly inferenceMs: Histogram;
  readonly latencyMs: Histogram;
}

/** `jsonl` and `csv` are the prediction log's files. */
export interface PipelineParts extends PredictionFiles {
  readonly models: ModelHolder;
  /** the optional RUL model; empty while none serves */
  readonly rulModels: ModelHolder<RulModel>;
  readonly smoother: Smoother;
  readonly rulSmoother: RulSmoother;
  readonly alerts: AlertPolicy;
  readonly scorer: LiveScorer;
  /**
   * QoS 1 publish; `onSettled` runs once the broker has the message. A returned promise means "wait
   * before sending more".
   */
  readonly publish: (
    topic: string,
    payload: string,
    onSettled: (err?: Error) => void,
  ) => Promise<void> | undefined;
  readonly metrics: PipelineMetrics;
  readonly logger: Logger;
}

interface Row {
  readonly sample: Telemetry;
  readonly receivedAt: number;
}

/** What one row comes to: its prediction, the alert its change of state calls for, and its RUL's. */
interface Verdict {
  readonly prediction: Prediction;
  readonly alert: Alert | undefined;
  readonly rulAlert: Alert | undefined;
}

/** What one batch's model runs gave: the state model's output and, where one served, the RUL model's. */
interface BatchOutput {
  readonly model: LoadedModel;
  readonly output: ModelOutput;
  readonly rul: { readonly model: RulModel; readonly hours: Float32Array } | undefined;
}

/**
 * A micro-batch, and the promise that its predictions and alerts are all with the broker. It rejects
 * if one of them failed: the telemetry then stays unacknowledged and comes back on the next connection.
 */
class Batch {
  readonly features: Float32Array;
  readonly rows: Row[] = [];
  readonly published: Promise<void>;
  #resolve: () => void = () => {};
  #reject: (err: Error) => void = () => {};
  #error: Error | undefined;
  #unsettled = 1;

  constructor(maxRows: number) {
    this.features = new Float32Array(maxRows * FEATURE_COUNT);
    this.published = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Nobody may be listening (every row a duplicate); a rejection is handled by whoever is.
    this.published.catch(() => {});
  }

  /** counts one more message that must reach the broker before the batch counts as published */
  expect(): (err?: Error) => void {
    this.#unsettled += 1;
    return this.#settleOne;
  }

  /** the batch is done; its promise settles once every expected message has */
  finish(): void {
    this.#settleOne();
  }

  readonly #settleOne = (err?: Error): void => {
    this.#error ??= err;
    this.#unsettled -= 1;
    if (this.#unsettled > 0) return;
    if (this.#error) this.#reject(this.#error);
    else this.#resolve();
  };
}

export class Pipeline {
  readonly #extractor = new FeatureExtractor();
  readonly #queue: Batch[] = [];
  #current: Batch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #processing: Batch | undefined;
  #queuedRows = 0;
  #idle: Array<() => void> = [];
  readonly #options: PipelineOptions;
  readonly #parts: PipelineParts;
  readonly #clockLog: RateLimitedLog;
  readonly #log: PredictionLog;
  /** this batch's published predictions by state (see #countPublished) */
  readonly #published = Object.fromEntries(PUMP_STATES.map((s) => [s, 0])) as Record<PumpState, number>;

  constructor(options: PipelineOptions, parts: PipelineParts) {
    this.#options = options;
    this.#parts = parts;
    this.#clockLog = new RateLimitedLog(parts.logger.child({ component: 'features' }));
    this.#log = new PredictionLog(parts);
  }

  /**
   * Takes one validated sample. The promise resolves once its prediction (and any alert) is with the
   * broker: only then may the telemetry be acknowledged, so a kill -9 loses no prediction (the broker
   * redelivers the telemetry). A redelivered or out-of-order sample is counted and skipped (undefined):
   * its prediction was already made, or its window has moved on.
   */
  accept(sample: Telemetry, receivedAt: number): Promise<void> | undefined {
    this.#current ??= new Batch(this.#options.maxBatch);
    const batch = this.#current;
    const verdict = this.#extractor.push(sample, batch.features, batch.rows.length * FEATURE_COUNT);
    if (verdict !== 'ok' && !this.#note(verdict, sample)) return undefined;
    batch.rows.push({ sample, receivedAt });
    this.#queuedRows += 1;
    if (batch.rows.length >= this.#options.maxBatch) this.#seal();
    else this.#timer ??= setTimeout(() => this.#seal(), this.#options.maxWaitMs);
    return batch.published;
  }

  /** Counts and logs a verdict other than 'ok'; true when the sample still has its features. */
  #note(verdict: Exclude<PushVerdict, 'ok'>, sample: Telemetry): boolean {
    const { metrics } = this.#parts;
    const { pump_id, ts, seq } = sample;
    switch (verdict) {
      case 'duplicate':
        metrics.duplicates.inc();
        return false;
      case 'out_of_order':
        metrics.outOfOrder.inc();
        this.#clockLog.warn(
          verdict,
          { pump_id, ts, seq, newest_ts: this.#extractor.newestTs(pump_id) },
          'sample older than the pump’s newest one skipped',
        );
        return false;
      case 'restarted':
        metrics.windowRestarts.inc();
        this.#clockLog.warn(
          'window_restarted',
          { pump_id, ts, seq },
          'the pump’s device time went back and stayed back: new feature window from this sample',
        );
        return true;
    }
  }

  /**
   * Forgets everything kept per pump for these pumps: feature window, smoothing, alert debounce, pending
   * scores. Call it only for pumps with nothing in flight (see oldestPending).
   */
  forget(pumpIds: readonly string[]): void {
    const { smoother, rulSmoother, alerts, scorer } = this.#parts;
    for (const id of pumpIds) {
      this.#extractor.forget(id);
      smoother.forget(id);
      rulSmoother.forget(id);
      alerts.forget(id);
    }
    scorer.forget(new Set(pumpIds));
  }

  /** pumps with a feature window */
  get pumps(): number {
    return this.#extractor.pumps;
  }

  /** Receipt time of the oldest sample not yet fully processed; +Infinity when there is none. */
  get oldestPending(): number {
    const oldest = (this.#processing ?? this.#queue[0] ?? this.#current)?.rows[0];
    return oldest?.receivedAt ?? Number.POSITIVE_INFINITY;
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
    this.#processing = batch;
    this.#process(batch)
      // A batch that cannot be predicted would fail again on redelivery: it is logged, and its
      // telemetry acknowledged, so that one bad batch cannot wedge the stream.
      .catch((err: unknown) => this.#parts.logger.error({ err, rows: batch.rows.length }, 'batch failed'))
      .finally(() => {
        batch.finish();
        this.#running = false;
        this.#processing = undefined;
        this.#queuedRows -= batch.rows.length;
        const waiting = this.#idle;
        this.#idle = [];
        for (const check of waiting) check();
        this.#kick();
      });
  }

  async #process(batch: Batch): Promise<void> {
    const output = await this.#predict(batch);
    let hold: Promise<void> | undefined;
    for (let i = 0; i < batch.rows.length; i++) {
      const verdict = this.#judge(batch.rows[i] as Row, output, i);
      const json = JSON.stringify(verdict.prediction);
      hold = this.#publish(batch, verdict, json) ?? hold;
      this.#log.add(verdict.prediction, json);
    }
    this.#countPublished();
    this.#log.flush();
    if (hold) await hold;
  }

  /**
   * One onnxruntime run per model over the batch's one feature matrix, on the models in service when it
   * starts. The two runs go together: onnxruntime-node runs each off the event loop.
   */
  async #predict(batch: Batch): Promise<BatchOutput> {
    const { models, rulModels, metrics } = this.#parts;
    const lease = models.lease();
    if (!lease) throw new Error('no model loaded');
    const rulLease = rulModels.lease();
    const n = batch.rows.length;
    const features = batch.features.subarray(0, n * FEATURE_COUNT);
    const started = performance.now();
    let output: ModelOutput;
    let hours: Float32Array | undefined;
    try {
      [output, hours] = await Promise.all([
        predict(lease.model, features, n),
        rulLease ? predictRul(rulLease.model, features, n) : undefined,
      ]);
    } finally {
      lease.release();
      rulLease?.release();
    }
    metrics.inferenceMs.observe(performance.now() - started);
    metrics.batchSize.observe(n);
    const rul = rulLease && hours ? { model: rulLease.model, hours } : undefined;
    return { model: lease.model, output, rul };
  }

  /** Row `i`'s smoothed state and RUL, prediction and alerts, and its entry in the live score. */
  #judge(row: Row, { model, output, rul }: BatchOutput, i: number): Verdict {
    const { smoother, rulSmoother, alerts, scorer, metrics } = this.#parts;
    const { sample, receivedAt } = row;
    const pumpId = sample.pump_id;
    const raw = output.labels[i] as PumpState;
    const smoothed = smoother.update(pumpId, raw);
    const classes = model.classes;
    const probabilities: Partial<Record<PumpState, number>> = {};
    for (let c = 0; c < classes.length; c++) {
      probabilities[classes[c] as PumpState] =
        Math.round((output.probabilities[i * classes.length + c] as number) * 10_000) / 10_000;
    }
    // From BROKEN to HEALTHY: the pump was repaired, a new lifecycle, and its RUL history is the old one's.
    // (Not from FAULTY: a pump that flaps between FAULTY and HEALTHY near its end is not repaired.)
    const repaired = smoothed.state === 'HEALTHY' && smoothed.previous === 'BROKEN';
    if (repaired) rulSmoother.forget(pumpId);
    const rulH = rul ? rulSmoother.update(pumpId, rul.hours[i] as number, rul.model.version) : undefined;
    const zone = isoZone(sample.vibration_rms);
    const latency = Math.round((performance.now() - receivedAt) * 100) / 100;
    metrics.latencyMs.observe(latency);
    const prediction: Prediction = {
      pump_id: pumpId,
      ts: sample.ts,
      seq: sample.seq,
      state: smoothed.state,
      raw_state: raw,
      probabilities,
      vibration_rms: sample.vibration_rms,
      iso_zone: zone,
      model_version: model.version,
      latency_ms: latency,
    };
    if (rul && rulH !== undefined) {
      prediction.rul_h = rulH;
      prediction.rul_model_version = rul.model.version;
    }

    const kind = alerts.decide(pumpId, smoothed.previous, smoothed.state, sample.ts);
    const rulLow =
      rulH !== undefined && alerts.decideRul(pumpId, rulH, rulSmoother.settled(pumpId), repaired);
    scorer.addPrediction(pumpId, sample.seq, smoothed.state, kind === 'alarm', rulH);
    if (!kind && !rulLow) return { prediction, alert: undefined, rulAlert: undefined };
    const evidence: Alert['evidence'] = {
      raw_states: [...smoothed.recent],
      probabilities,
      vibration_rms: sample.vibration_rms,
      iso_zone: zone,
      temperature: sample.temperature,
    };
    if (rulH !== undefined) evidence.rul_h = rulH;
    const alert = (kind: AlertKind, modelVersion: string): Alert => ({
      pump_id: pumpId,
      ts: sample.ts,
      seq: sample.seq,
      kind,
      // a rul_low alert changes no state: both are the pump's current one (see alertSchema)
      state: smoothed.state,
      previous_state: kind === 'rul_low' ? smoothed.state : smoothed.previous,
      model_version: modelVersion,
      evidence,
    });
    return {
      prediction,
      alert: kind ? alert(kind, model.version) : undefined,
      // the RUL model made this call: its version is the one to look up
      rulAlert: rulLow && rul ? alert('rul_low', rul.model.version) : undefined,
    };
  }

  /**
   * Sends the prediction (already serialised as `json`) and the alert, if any, with QoS 1; the batch
   * counts each until the broker has it. Returns the publisher's "wait before sending more", if any.
   */
  #publish(batch: Batch, { prediction, alert, rulAlert }: Verdict, json: string): Promise<void> | undefined {
    const { publish, metrics } = this.#parts;
    let hold = publish(topics.predictions(prediction.pump_id), json, batch.expect());
    this.#published[prediction.state] += 1;
    for (const a of [alert, rulAlert]) {
      if (!a) continue;
      metrics.alerts.inc({ kind: a.kind, state: a.state });
      hold = publish(topics.alerts(a.pump_id), JSON.stringify(a), batch.expect()) ?? hold;
    }
    return hold;
  }

  /**
   * Adds the batch's predictions to their counter with one inc() per state, not one per prediction: it
   * is the hottest counter, and prom-client checks and hashes the labels on every call (about 0.1 µs,
   * five times what the hand-written registry before it took).
   */
  #countPublished(): void {
    for (const state of PUMP_STATES) {
      const n = this.#published[state];
      if (n === 0) continue;
      this.#parts.metrics.predictions.inc({ state }, n);
      this.#published[state] = 0;
    }
  }
}
