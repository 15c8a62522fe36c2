/** Wires model, MQTT, pipeline, logs, scoring and the ops endpoints; returns start/stop. */
import { join } from 'node:path';
import { LiveScorer, PUMP_STATES, topicFilter } from '@pdm/contract';
import {
  connectMqtt,
  type Logger,
  MetricsRegistry,
  type MqttConnection,
  type MqttSettings,
  type OpsServer,
  Qos1Publisher,
  shutdownInOrder,
  startOpsServer,
} from '@pdm/service-kit';
import { AlertPolicy, type RulAlertRule } from './alerts.ts';
import { DeadLetters } from './dead-letters.ts';
import { intake } from './intake.ts';
import { inferenceMetrics, scrapeParts } from './metrics.ts';
import { ModelHolder } from './model-holder.ts';
import { type ModelKind, ModelLifecycle, STATE_MODEL } from './model-lifecycle.ts';
import { PumpRoutes } from './partition.ts';
import { Pipeline } from './pipeline.ts';
import { openPredictionFiles } from './prediction-log.ts';
import { loadRulModel, RUL_TARGET, type RulModel } from './rul-model.ts';
import { RulSmoother } from './rul-smoother.ts';
import { Smoother } from './smoother.ts';
import { TrackedPumps } from './tracked-pumps.ts';

export interface InferenceSettings {
  readonly mqtt: Pick<MqttSettings, 'url' | 'username' | 'password'>;
  readonly clientId: string;
  readonly modelPath: string;
  /** the optional RUL model: served while a usable file is there */
  readonly rulModelPath: string;
  readonly predictionsDir: string;
  readonly httpPort: number;
  readonly replicas: number;
  readonly replica: number;
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly smoothWindow: number;
  readonly smoothAgree: number;
  readonly smoothCalm: number;
  readonly rulSmoothWindow: number;
  /** rul_low alerts; undefined: off (ALERT_RUL_H unset) */
  readonly alertRul: RulAlertRule | undefined;
  readonly alertMinIntervalS: number;
  readonly maxPumps: number;
  readonly pumpIdleEvictS: number;
  readonly retainDays: number;
  readonly scoreEveryS: number;
}

/** The optional RUL model: served when its file is there and fits, never waited for. */
const RUL_MODEL: ModelKind<RulModel> = {
  name: 'RUL model',
  load: loadRulModel,
  optional: true,
  source: `pnpm train --task regression --label ${RUL_TARGET} --out models/pump-rul.onnx`,
  details: () => ({}),
};

export interface Inference {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly metrics: MetricsRegistry;
}

export function createInference(settings: InferenceSettings, logger: Logger): Inference {
  const registry = new MetricsRegistry({ processMetrics: true });
  const metrics = inferenceMetrics(registry);
  const models = new ModelHolder();
  const lifecycle = new ModelLifecycle(settings.modelPath, models, metrics.model, logger, STATE_MODEL);
  const rulModels = new ModelHolder<RulModel>();
  const rulLifecycle = new ModelLifecycle(
    settings.rulModelPath,
    rulModels,
    metrics.rulModel,
    logger.child({ component: 'rul-model' }),
    RUL_MODEL,
  );
  const scorer = new LiveScorer();
  const alerts = new AlertPolicy(settings.alertMinIntervalS * 1000, settings.alertRul);
  const predictionFiles = openPredictionFiles(settings.predictionsDir, settings.retainDays);
  const deadLetters = new DeadLetters(settings.predictionsDir, settings.retainDays, logger);

  let publisher: Qos1Publisher | undefined;
  const pipeline = new Pipeline(
    { maxBatch: settings.maxBatch, maxWaitMs: settings.maxWaitMs },
    {
      models,
      rulModels,
      smoother: new Smoother({
        window: settings.smoothWindow,
        agree: settings.smoothAgree,
        calm: settings.smoothCalm,
      }),
      rulSmoother: new RulSmoother(settings.rulSmoothWindow),
      alerts,
      scorer,
      ...predictionFiles,
      publish: (topic, payload, onSettled) => {
        if (publisher) return publisher.publish(topic, payload, false, onSettled);
        onSettled(new Error('not connected for publishing yet'));
        return undefined;
      },
      metrics: metrics.pipeline,
      logger,
    },
  );
  const routes = new PumpRoutes(settings.replicas, settings.replica);
  const tracked = new TrackedPumps(
    { maxPumps: settings.maxPumps, idleMs: settings.pumpIdleEvictS * 1000 },
    (ids) => {
      pipeline.forget(ids);
      routes.forget(ids);
    },
  );
  scrapeParts(registry, { scorer, alerts, tracked });
  const onMessage = intake(settings, {
    scorer,
    tracked,
    routes,
    pipeline,
    deadLetters,
    metrics: metrics.intake,
    logger,
  });

  const sweep = () => {
    const gone = tracked.sweep(performance.now(), pipeline.oldestPending);
    if (gone.length === 0) return;
    metrics.evicted.inc(gone.length);
    logger.info(
      { pumps: gone.length, tracked: tracked.size, idleS: settings.pumpIdleEvictS },
      'forgot pumps silent for PUMP_IDLE_EVICT_S',
    );
  };
  const logScore = () => {
    if (scorer.scored === 0) return;
    const hours = (h: number) => Math.round(h * 1000) / 1000;
    logger.info(
      {
        accuracy: Math.round(scorer.accuracy * 10_000) / 10_000,
        scored: scorer.scored,
        falseAlarms: scorer.falseAlarms,
        confusion: scorer.confusion,
        states: PUMP_STATES,
        // where a RUL model served
        ...(scorer.rulScored > 0
          ? { rulMaeH: hours(scorer.rulMae), rulRmseH: hours(scorer.rulRmse), rulScored: scorer.rulScored }
          : {}),
      },
      'live score against the ground truth',
    );
  };

  let mqtt: MqttConnection | undefined;
  let outbound: MqttConnection | undefined;
  let ops: OpsServer | undefined;
  let scoreTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  const abort = new AbortController();

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
            model: lifecycle.health,
            rul_model: rulLifecycle.health,
            mqtt: mqtt?.client.connected ? 'connected' : 'not connected',
            replica: `${settings.replica} of ${settings.replicas}`,
          },
        }),
      });
      // The RUL model is optional: start() returns at once, with or without one.
      await rulLifecycle.start(abort.signal);
      // No model, no consuming: the broker keeps the stream until there is one.
      await lifecycle.start(abort.signal);
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
        // Per-pump and gateway topics side by side: a fleet may send either way, or both.
        subscriptions: [
          topicFilter('telemetry'),
          topicFilter('gateway_telemetry'),
          topicFilter('groundtruth'),
          topicFilter('gateway_groundtruth'),
        ],
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
          [
            'stop watching the models',
            () => {
              lifecycle.close();
              rulLifecycle.close();
            },
          ],
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
            () =>
              Promise.all([predictionFiles.jsonl.close(), predictionFiles.csv.close(), deadLetters.close()]),
          ],
          ['release the models', () => Promise.all([models.close(), rulModels.close()])],
          ['close the HTTP server', () => ops?.close()],
        ]);
        logger.info('inference stopped');
      })();
      return stopping;
    },
  };
}
