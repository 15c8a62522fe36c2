/**
 * Models with a stand-in onnxruntime session, and the real pipeline around them with its outputs caught:
 * for unit tests of what the pipeline does per pump, without ONNX files or a broker.
 */
import {
  type Alert,
  LiveScorer,
  type Prediction,
  PUMP_STATES,
  type PumpState,
  type Telemetry,
} from '@pdm/contract';
import { FEATURE_COUNT, FEATURE_NAMES } from '@pdm/features';
import { createLogger, MetricsRegistry } from '@pdm/service-kit';
import { AlertPolicy, type RulAlertRule } from '../alerts.ts';
import type { DailyLog } from '../daily-log.ts';
import type { LoadedModel } from '../model.ts';
import { ModelHolder } from '../model-holder.ts';
import { Pipeline } from '../pipeline.ts';
import type { RulModel } from '../rul-model.ts';
import { RulSmoother } from '../rul-smoother.ts';
import { Smoother } from '../smoother.ts';

const VIBRATION = FEATURE_NAMES.indexOf('vibration_rms');

/** A sample whose every vibration channel is `vibration` mm/s, one second after the previous seq. */
export function telemetry(pumpId: string, seq: number, vibration: number): Telemetry {
  return {
    pump_id: pumpId,
    ts: 1_767_225_600_000 + seq * 1000,
    seq,
    vibration_x: vibration,
    vibration_y: vibration,
    vibration_z: vibration,
    vibration_rms: vibration,
    temperature: 56.6,
    pressure: 6.3,
    flow: 117,
    current: 56.4,
    rpm: 2957.7,
  };
}

type Feeds = Record<string, { dims: readonly number[]; data: Float32Array }>;

/** Each row's vibration_rms feature, as a stand-in session sees it. */
function vibrations(feeds: Feeds): number[] {
  const input = feeds.features as { dims: readonly number[]; data: Float32Array };
  const n = input.dims[0] as number;
  return Array.from({ length: n }, (_, i) => input.data[i * FEATURE_COUNT + VIBRATION] as number);
}

/** A model that calls a sample FAULTY when its vibration is above 5 mm/s, and HEALTHY otherwise. */
export function thresholdModel(): LoadedModel {
  const classes = [...PUMP_STATES];
  const session = {
    async run(feeds: Feeds) {
      const labels = vibrations(feeds).map((v): PumpState => (v > 5 ? 'FAULTY' : 'HEALTHY'));
      return {
        output_label: { data: labels },
        output_probability: { data: new Float32Array(labels.length * classes.length) },
      };
    },
    async release() {},
  };
  return {
    path: 'faulty.onnx',
    version: 'test',
    classes,
    session: session as unknown as LoadedModel['session'],
    fingerprint: '',
    io: { input: 'features', label: 'output_label', probabilities: 'output_probability' },
  };
}

/** A RUL model whose raw RUL in hours is `hours(vibration_rms)` of each row. */
export function vibrationRulModel(hours: (vibration: number) => number, version = 'rul-test'): RulModel {
  const session = {
    async run(feeds: Feeds) {
      return { variable: { data: Float32Array.from(vibrations(feeds), hours) } };
    },
    async release() {},
  };
  return {
    path: 'rul.onnx',
    version,
    session: session as unknown as RulModel['session'],
    fingerprint: '',
    io: { input: 'features', output: 'variable' },
  };
}

export interface FakePipelineOptions {
  readonly rulWindow?: number;
  readonly rulAlert?: RulAlertRule;
  readonly smoothing?: { readonly window: number; readonly agree: number; readonly calm: number };
}

/** The real pipeline and its per-pump parts, serving thresholdModel(), with the outputs caught. */
export function pipelineWithParts(options: FakePipelineOptions = {}) {
  const registry = new MetricsRegistry();
  const models = new ModelHolder();
  models.swap(thresholdModel());
  const rulModels = new ModelHolder<RulModel>();
  const smoother = new Smoother(options.smoothing ?? { window: 1, agree: 1, calm: 1 });
  const rulSmoother = new RulSmoother(options.rulWindow ?? 1);
  const alerts = new AlertPolicy(0, options.rulAlert);
  const scorer = new LiveScorer();
  scorer.addTruth('someone-else', 0, 'HEALTHY');
  const log = { write() {} } as unknown as DailyLog;
  const predictions: Prediction[] = [];
  const alertsSent: Alert[] = [];
  const pipeline = new Pipeline(
    { maxBatch: 64, maxWaitMs: 0 },
    {
      models,
      rulModels,
      smoother,
      rulSmoother,
      alerts,
      scorer,
      jsonl: log,
      csv: log,
      publish: (topic, payload, onSettled) => {
        const body = JSON.parse(payload) as Prediction & Alert;
        if (topic.includes('/alerts/')) alertsSent.push(body);
        else predictions.push(body);
        onSettled();
        return undefined;
      },
      metrics: {
        predictions: registry.counter('p', 'p', ['state']),
        duplicates: registry.counter('d', 'd'),
        outOfOrder: registry.counter('o', 'o'),
        windowRestarts: registry.counter('w', 'w'),
        alerts: registry.counter('a', 'a', ['kind', 'state']),
        batchSize: registry.histogram('b', 'b'),
        inferenceMs: registry.histogram('i', 'i'),
        latencyMs: registry.histogram('l', 'l'),
      },
      logger: createLogger({ name: 'test', level: 'silent' }),
    },
  );
  return {
    pipeline,
    models,
    rulModels,
    smoother,
    rulSmoother,
    alerts,
    scorer,
    /** what was published, in order */
    sent: { predictions, alerts: alertsSent },
  };
}
