/** Wires model, MQTT, pipeline, logs, scoring and the ops endpoints; returns start/stop. */
import { join } from 'node:path';
import {
  clipTopic,
  DEAD_LETTERS_LOG,
  groundTruthSchema,
  INVALID_REASONS,
  LiveScorer,
  PREDICTIONS_LOG,
  PUMP_STATES,
  parseTopic,
  telemetrySchema,
  topicFilter,
  validateMessage,
} from '@pdm/contract';
import {
  connectMqtt,
  type Logger,
  MetricsRegistry,
  type MqttConnection,
  type MqttSettings,
  type OpsServer,
  Qos1Publisher,
  RateLimitedLog,
  shutdownInOrder,
  startOpsServer,
} from '@pdm/service-kit';
import { AlertPolicy } from './alerts.ts';
import { DailyLog } from './daily-log.ts';
import { type LoadedModel, loadModel, ModelError } from './model.ts';
import { ModelHolder } from './model-holder.ts';
import { fingerprintOf, ModelWatcher } from './model-watcher.ts';
import { ownsPump } from './partition.ts';
import { CSV_HEADER, Pipeline } from './pipeline.ts';

import { Smoother } from './smoother.ts';
import { TrackedPumps } from './tracked-pumps.ts';

const DEAD_LETTER_PAYLOAD_BYTES = 4096;
const TELEMETRY = Object.freeze({ kind: 'telemetry' });
const GROUNDTRUTH = Object.freeze({ kind: 'groundtruth' });

export interface InferenceSettings {
  readonly mqtt: Pick<MqttSettings, 'url' | 'username' | 'password'>;
  readonly clientId: string;
  readonly modelPath: string;
  readonly predictionsDir: string;
  readonly httpPort: number;
  readonly replicas: number;
  readonly replica: number;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly smoothWindow: number;
  readonly smoothAgree: number;
  readonly smoothCalm: number;
  readonly alertMinIntervalS: number;
  readonly maxPumps: number;
  readonly pumpIdleEvictS: number;
  readonly retainDays: number;
  readonly scoreEveryS: number;
}

export interface Inference {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly metrics: MetricsRegistry;
}

export function createInference(settings: InferenceSettings, logger: Logger): Inference {
  const registry = new MetricsRegistry({ processMetrics: true });
  const messages = registry.counter(
    'pdm_inference_messages_total',
    'messages received for this replica’s pumps, by kind',
    ['kind'],
  );
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
  const modelInfo = registry.gauge('pdm_inference_model_info', 'the model in service (value 1), by version', {
    labelNames: ['version'],
  });
  const scorer = new LiveScorer();
  registry.gauge('pdm_inference_live_accuracy', 'smoothed-state accuracy against the ground truth', {
    collect: (g) => g.set(scorer.accuracy),
  });
  registry.gauge('pdm_inference_scored_total', 'predictions matched with their ground truth', {
    collect: (g) => g.set(scorer.scored),
  });
  registry.gauge('pdm_inference_false_alarms_total', 'alarms raised while the truth was HEALTHY', {
    collect: (g) => g.set(scorer.falseAlarms),
  });
  const confusion = registry.gauge(
    'pdm_inference_confusion',
    'scored predictions by truth and predicted state',
    { labelNames: ['truth', 'predicted'] },
  );
  const alertPolicy = new AlertPolicy(settings.alertMinIntervalS * 1000);
  registry.gauge('pdm_inference_alerts_suppressed_total', 'alerts held back by the debounce', {
    collect: (g) => g.set(alertPolicy.suppressed),
  });
  const metrics = {
    predictions: registry.counter(
      'pdm_inference_predictions_total',
      'predictions published, by smoothed state',
      ['state'],
    ),
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

  const models = new ModelHolder();
  const logs = {
    jsonl: new DailyLog({
      dir: settings.predictionsDir,
      prefix: PREDICTIONS_LOG,
      extension: 'jsonl',
      retainDays: settings.retainDays,
    }),
    csv: new DailyLog({
      dir: settings.predictionsDir,
      prefix: PREDICTIONS_LOG,
      extension: 'csv',
      header: CSV_HEADER,
      retainDays: settings.retainDays,
    }),
    deadLetters: new DailyLog({
      dir: settings.predictionsDir,
      prefix: DEAD_LETTERS_LOG,
      extension: 'jsonl',
      retainDays: settings.retainDays,
    }),
  };
  const rateLimited = new RateLimitedLog(logger.child({ component: 'validation' }));
  let publisher: Qos1Publisher | undefined;
  const pipeline = new Pipeline(
    { maxBatch: settings.maxBatch, maxWaitMs: settings.maxWaitMs },
    {
      models,
      smoother: new Smoother({
        window: settings.smoothWindow,
        agree: settings.smoothAgree,
        calm: settings.smoothCalm,
      }),
      alerts: alertPolicy,
      scorer,
      jsonl: logs.jsonl,
      csv: logs.csv,
      publish: (topic, payload, onSettled) => {
        if (publisher) return publisher.publish(topic, payload, false, onSettled);
        onSettled(new Error('not connected for publishing yet'));
        return undefined;
      },
      metrics,
      logger,
    },
  );

  const tracked = new TrackedPumps(
    { maxPumps: settings.maxPumps, idleMs: settings.pumpIdleEvictS * 1000 },
    (ids) => pipeline.forget(ids),
  );
  registry.gauge('pdm_inference_pumps_tracked', 'pumps whose state inference keeps (at most MAX_PUMPS)', {
    collect: (g) => g.set(tracked.size),
  });
  const evicted = registry.counter(
    'pdm_inference_pumps_evicted_total',
    'pumps forgotten after PUMP_IDLE_EVICT_S without a message',
  );
  const refused = registry.counter(
    'pdm_inference_pumps_refused_total',
    'messages of new pumps dead-lettered because MAX_PUMPS pumps were tracked',
  );
  const sweep = () => {
    const gone = tracked.sweep(performance.now(), pipeline.oldestPending);
    if (gone.length === 0) return;
    evicted.inc(gone.length);
    logger.info(
      { pumps: gone.length, tracked: tracked.size, idleS: settings.pumpIdleEvictS },
      'forgot pumps silent for PUMP_IDLE_EVICT_S',
    );
  };

  let modelProblem = 'not loaded yet';
  const serve = (model: LoadedModel) => {
    const old = models.swap(model);
    watcher?.accept(model.fingerprint);
    modelProblem = '';
    if (old) modelInfo.set({ version: old.version }, 0);
    modelInfo.set({ version: model.version }, 1);
    return old;
  };
  const tryLoad = async (): Promise<LoadedModel | undefined> => {
    try {
      return await loadModel(settings.modelPath, fingerprintOf(settings.modelPath));
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      modelProblem = err.message;
      return undefined;
    }
  };
  let watcher: ModelWatcher | undefined;
  let reloading = Promise.resolve();
  const reload = () => {
    reloading = reloading.then(async () => {
      const next = await tryLoad();
      const current = models.model;
      if (!next) {
        reloads.inc({ result: 'refused' });
        logger.error(
          { problem: modelProblem, serving: current?.version ?? 'nothing' },
          'refused the new model file; the old model keeps serving',
        );
        if (current) modelProblem = '';
        watcher?.accept(fingerprintOf(settings.modelPath));
        return;
      }
      const old = serve(next);
      reloads.inc({ result: 'loaded' });
      logger.info(
        { from: old?.version ?? 'none', to: next.version, classes: next.classes },
        `model ${old?.version ?? 'none'} → ${next.version}`,
      );
      firstModel?.();
    });
  };
  let firstModel: (() => void) | undefined;

  const deadLetter = (topic: string, payload: Buffer, reason: string, detail: string) => {
    invalid.inc({ reason });
    writeDeadLetter(topic, payload, reason, detail, 'invalid input dead-lettered');
  };
  const writeDeadLetter = (
    rawTopic: string,
    payload: Buffer,
    reason: string,
    detail: string,
    why: string,
  ) => {
    const topic = clipTopic(rawTopic);
    rateLimited.warn(reason, { topic, detail, bytes: payload.length }, why);
    logs.deadLetters.write(
      `${JSON.stringify({
        received_at: new Date().toISOString(),
        topic,
        reason,
        detail,
        payload: payload.subarray(0, DEAD_LETTER_PAYLOAD_BYTES).toString('utf8'),
        payload_bytes: payload.length,
      })}\n`,
    );
  };

  const onMessage = (topic: string, payload: Buffer): Promise<void> | undefined => {
    const receivedAt = performance.now();
    const parsed = parseTopic(topic);
    if (parsed && !ownsPump(parsed.id, settings.replicas, settings.replica)) return undefined;
    if (parsed?.kind === 'groundtruth') {
      messages.inc(GROUNDTRUTH);
      const verdict = validateMessage(topic, payload, { groundtruth: groundTruthSchema }, parsed);
      if (verdict.ok) scorer.addTruth(verdict.message.pump_id, verdict.message.seq, verdict.message.state);
      else deadLetter(topic, payload, verdict.reason, verdict.detail);
      return undefined;
    }
    messages.inc(TELEMETRY);
    const verdict = validateMessage(topic, payload, { telemetry: telemetrySchema }, parsed);
    if (!verdict.ok) {
      deadLetter(topic, payload, verdict.reason, verdict.detail);
      return undefined;
    }
    if (!tracked.admit(verdict.message.pump_id, receivedAt)) {
      refused.inc();
      const detail = `${settings.maxPumps} pumps tracked (MAX_PUMPS); ${verdict.message.pump_id} is a new one`;
      writeDeadLetter(
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

  let mqtt: MqttConnection | undefined;
  let outbound: MqttConnection | undefined;
  let ops: OpsServer | undefined;
  let scoreTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  const abort = new AbortController();

  const logScore = () => {
    for (const [t, row] of scorer.confusion.entries()) {
      for (const [p, n] of row.entries())
        confusion.set({ truth: PUMP_STATES[t] as string, predicted: PUMP_STATES[p] as string }, n);
    }
    if (scorer.scored > 0) {
      logger.info(
        {
          accuracy: Math.round(scorer.accuracy * 10_000) / 10_000,
          scored: scorer.scored,
          falseAlarms: scorer.falseAlarms,
          confusion: scorer.confusion,
          states: PUMP_STATES,
        },
        'live score against the ground truth',
      );
    }
  };

  return {
    metrics: registry,
    async start() {
      ops = await startOpsServer({
        port: settings.httpPort,
        registry,
        logger,
        health: () => ({
          healthy: !!models.model && !!mqtt?.client.connected && !!outbound?.client.connected,
          checks: {
            model: models.model?.version ?? `none: ${modelProblem}`,
            ...(modelProblem && models.model ? { lastRefusedModel: modelProblem } : {}),
            mqtt: mqtt?.client.connected ? 'connected' : 'not connected',
            replica: `${settings.replica} of ${settings.replicas}`,
          },
        }),
      });
      watcher = new ModelWatcher(settings.modelPath, '', reload);
      // No model, no consuming: the broker keeps the stream until there is one.
      const first = await tryLoad();
      if (first) {
        serve(first);
        logger.info(
          { model: settings.modelPath, version: first.version, classes: first.classes },
          'model loaded',
        );
      } else {
        logger.warn(
          { model: settings.modelPath, problem: modelProblem },
          'no usable model: waiting for one (pnpm train writes models/pump-state.onnx); not consuming meanwhile',
        );
        await new Promise<void>((resolve, reject) => {
          firstModel = resolve;
          abort.signal.addEventListener(
            'abort',
            () => reject(new Error('stopped while waiting for a model')),
            { once: true },
          );
        });
        firstModel = undefined;
      }
      // Predictions go out on a connection of their own. mqtt.js handles a connection's incoming packets
      // one at a time, so while the pipeline holds back telemetry (backpressure) the PUBACKs for our own
      // predictions would queue behind it on a shared connection, and neither side would move again.
      outbound = await connectMqtt({
        ...settings.mqtt,
        clientId: `${settings.clientId}-pub`,
        service: 'inference',
        status: false,
        logger,
        signal: abort.signal,
      });
      publisher = new Qos1Publisher(
        outbound.client,
        Math.min(1000, outbound.serverReceiveMaximum),
        (err, topic) => logger.error({ err, topic }, 'publish failed'),
      );
      mqtt = await connectMqtt({
        ...settings.mqtt,
        clientId: settings.clientId,
        service: settings.replicas > 1 ? `inference-${settings.replica}` : 'inference',
        logger,
        subscriptions: [topicFilter('telemetry'), topicFilter('groundtruth')],
        onMessage,
        signal: abort.signal,
      });
      scoreTimer = setInterval(logScore, settings.scoreEveryS * 1000);
      scoreTimer.unref();
      sweepTimer = setInterval(sweep, tracked.sweepEveryMs);
      sweepTimer.unref();
      logger.info(
        {
          predictions: join(settings.predictionsDir, 'predictions-<day>.jsonl|csv'),
          replica: settings.replica,
          replicas: settings.replicas,
        },
        'inference running',
      );
    },
    stop() {
      stopping ??= (async () => {
        // Stop taking input, finish what is in flight, flush the outputs, then close. Each step is
        // bounded: with the broker down or hung, the unfinished telemetry stays unacknowledged.
        abort.abort();
        clearInterval(scoreTimer);
        clearInterval(sweepTimer);
        await shutdownInOrder(logger, [
          ['stop taking telemetry', () => mqtt?.stopIntake()],
          ['stop watching the model', () => watcher?.close()],
          [
            'finish queued batches and flush their predictions to the broker',
            async () => {
              await pipeline.drain();
              await publisher?.drain();
            },
          ],
          ['log the final score', () => logScore()],
          // In-flight work is done or abandoned by now, so both can close at once.
          ['close the MQTT connections', () => Promise.all([mqtt?.close(), outbound?.close()])],
          [
            'close the logs',
            () => Promise.all([logs.jsonl.close(), logs.csv.close(), logs.deadLetters.close()]),
          ],
          ['release the model', () => models.close()],
          ['close the HTTP server', () => ops?.close()],
        ]);
        logger.info('inference stopped');
      })();
      return stopping;
    },
  };
}
