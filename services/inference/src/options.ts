/** Flags and environment of the inference service. */
import { type ConfigOf, intOption, numberOption, type OptionSpecs, sharedOptions } from '@pdm/service-kit';
import { z } from 'zod';

export const program = {
  name: 'inference',
  summary:
    'Predicts each pump’s state live, and its remaining useful life where a RUL model is present. Subscribes\n' +
    'to pdm/v1/telemetry/+ and pdm/v1/gateway/+/telemetry (QoS 1, persistent session), runs the ONNX\n' +
    'model(s) on window features in micro-batches, smooths per pump, and publishes one prediction per sample\n' +
    '(a gateway message: per row) on pdm/v1/predictions/<pump_id> and alerts on pdm/v1/alerts/<pump_id>.\n' +
    'Writes daily prediction logs (JSON Lines and CSV), hot-reloads either model file when it is replaced,\n' +
    'and scores itself against pdm/v1/groundtruth/+ and pdm/v1/gateway/+/groundtruth when present.',
};

export const options = {
  modelPath: {
    schema: z.string().min(1).default('models/pump-state.onnx'),
    flag: 'model',
    env: 'MODEL_PATH',
    placeholder: 'PATH',
    help: 'ONNX model; watched, and reloaded when replaced',
  },
  rulModelPath: {
    schema: z.string().min(1).default('models/pump-rul.onnx'),
    flag: 'rul-model',
    env: 'RUL_MODEL_PATH',
    placeholder: 'PATH',
    help: 'optional ONNX RUL regressor (pnpm train --task regression --label rul_h); served when present, watched like the model',
  },
  predictionsDir: {
    schema: z.string().min(1).default('predictions'),
    flag: 'predictions-dir',
    env: 'PREDICTIONS_DIR',
    placeholder: 'DIR',
    help: 'prediction logs: predictions-YYYY-MM-DD.jsonl and .csv, dead-letters-YYYY-MM-DD.jsonl',
  },
  httpPort: {
    schema: intOption(9102, { min: 0, max: 65_535 }),
    flag: 'http-port',
    env: 'HTTP_PORT',
    placeholder: 'PORT',
    help: '/healthz and /metrics port (0: any free port)',
  },
  replicas: {
    schema: intOption(1, { min: 1, max: 1024 }),
    flag: 'replicas',
    env: 'INFERENCE_REPLICAS',
    placeholder: 'N',
    help: 'replicas sharing the fleet; each pump goes to exactly one',
  },
  replica: {
    schema: intOption(0, { min: 0, max: 1023 }),
    flag: 'replica',
    env: 'INFERENCE_REPLICA',
    placeholder: 'I',
    help: 'this replica’s index, 0 … replicas − 1',
  },
  maxBatch: {
    schema: intOption(256, { min: 1, max: 8192 }),
    flag: 'max-batch',
    env: 'BATCH_MAX',
    placeholder: 'N',
    help: 'most samples in one model run',
  },
  maxWaitMs: {
    schema: numberOption(5, { min: 0, max: 1000 }),
    flag: 'max-wait-ms',
    env: 'BATCH_WAIT_MS',
    placeholder: 'MS',
    help: 'longest a sample waits for its batch to fill',
  },
  smoothWindow: {
    schema: intOption(5, { min: 1, max: 100 }),
    flag: 'smooth-window',
    env: 'SMOOTH_WINDOW',
    placeholder: 'N',
    help: 'per-sample states a pump’s reported state is judged on',
  },
  smoothAgree: {
    schema: intOption(3, { min: 1, max: 100 }),
    flag: 'smooth-agree',
    env: 'SMOOTH_AGREE',
    placeholder: 'K',
    help: 'how many of them must say FAULTY or BROKEN to report it (more than a glitch lasts)',
  },
  smoothCalm: {
    schema: intOption(2, { min: 1, max: 100 }),
    flag: 'smooth-calm',
    env: 'SMOOTH_CALM',
    placeholder: 'K',
    help: 'latest states in a row that must say HEALTHY or WARNING to report it',
  },
  rulSmoothWindow: {
    schema: intOption(9, { min: 1, max: 1000 }),
    flag: 'rul-smooth-window',
    env: 'RUL_SMOOTH_WINDOW',
    placeholder: 'N',
    help: 'a pump’s reported rul_h is the median of its last N raw values',
  },
  alertRulH: {
    schema: z.coerce
      .number({ error: () => 'expected a number of hours' })
      .positive('must be above 0')
      .optional(),
    flag: 'alert-rul-h',
    env: 'ALERT_RUL_H',
    placeholder: 'H',
    help: 'rul_low alert (plan the repair now) when a pump’s rul_h falls below H hours (default: off)',
  },
  alertRulRearm: {
    schema: numberOption(1.2, { min: 1.01, max: 100 }),
    flag: 'alert-rul-rearm',
    env: 'ALERT_RUL_REARM',
    placeholder: 'X',
    help: 'a pump alerted for low RUL is alerted again only after its rul_h rose above X × ALERT_RUL_H, or a repair',
  },
  alertMinIntervalS: {
    schema: numberOption(60, { min: 0 }),
    flag: 'alert-min-interval-s',
    env: 'ALERT_MIN_INTERVAL_S',
    placeholder: 'S',
    help: 'debounce: least device time between two alerts of a pump (an escalation to BROKEN always goes out)',
  },
  maxPumps: {
    schema: intOption(50_000, { min: 1 }),
    flag: 'max-pumps',
    env: 'MAX_PUMPS',
    placeholder: 'N',
    help: 'most pumps kept in memory at once; messages of further new pumps are dead-lettered',
  },
  pumpIdleEvictS: {
    schema: numberOption(3600, { min: 0.1 }),
    flag: 'pump-idle-evict-s',
    env: 'PUMP_IDLE_EVICT_S',
    placeholder: 'S',
    help: 'wall-clock seconds without a message after which a pump’s state (window, smoothing, alerts) is dropped',
  },
  retainDays: {
    schema: intOption(14, { min: 1 }),
    flag: 'retain-days',
    env: 'LOG_RETAIN_DAYS',
    placeholder: 'D',
    help: 'days of prediction logs kept',
  },
  scoreEveryS: {
    schema: numberOption(30, { min: 1 }),
    flag: 'score-every-s',
    env: 'SCORE_LOG_EVERY_S',
    placeholder: 'S',
    help: 'seconds between live-score log lines',
  },
  ...sharedOptions,
  clientId: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'letters, digits, "_", "-" or "."')
      .optional(),
    env: 'MQTT_CLIENT_ID',
    help: 'MQTT client id (default: inference-<replica>); fixed, so a restart resumes the session',
  },
} as const satisfies OptionSpecs;

/** Rules across settings; each problem names its flag. */
export function crossCheck(c: ConfigOf<typeof options>): string[] {
  return [
    ...(c.replica < c.replicas
      ? []
      : [`--replica / INFERENCE_REPLICA: must be below --replicas (${c.replicas})`]),
    ...(c.smoothAgree <= c.smoothWindow
      ? []
      : [`--smooth-agree / SMOOTH_AGREE: cannot exceed --smooth-window (${c.smoothWindow})`]),
    ...(c.smoothCalm <= c.smoothWindow
      ? []
      : [`--smooth-calm / SMOOTH_CALM: cannot exceed --smooth-window (${c.smoothWindow})`]),
  ];
}
