/**
 * `pnpm quality`: scores a model live, the way it will run. A real Mosquitto, the inference service
 * with the model (and the RUL model, where there is one), and the production simulator in a mode (STRESS unless --mode) with
 * chaos on; every prediction is matched with its ground truth. Prints smoothed-state accuracy and false
 * alarms per 1,000 pump-minutes, beside what the per-sample states alone would have given (the original
 * project's classifier); with a RUL model, the live RUL MAE and RMSE (beside inference's own /metrics
 * figures) and how long before BROKEN the rul_low alerts came.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ALARM_STATES,
  alertSchema,
  groundTruthSchema,
  PUMP_STATES,
  type PumpState,
  parseTopic,
  predictionSchema,
} from '@pdm/contract';
import { configOrExit, intOption, numberOption, type OptionSpecs, parseConfig } from '@pdm/service-kit';
import { REPO_ROOT, recordMessages, startMosquitto, startService } from '@pdm/testkit';
import { z } from 'zod';
import { formatNumber } from './table.ts';

const program = {
  name: 'quality',
  summary:
    'Scores a model live against the production simulator in a mode (--mode, STRESS by default) with chaos on\n' +
    'and the ground truth on the bus; train the models on the same mode’s clock (see README). Needs mosquitto.',
};
const options = {
  model: {
    schema: z.string().default('models/pump-state.onnx'),
    flag: 'model',
    placeholder: 'PATH',
    help: 'ONNX model to score',
  },
  rulModel: {
    schema: z.string().default('models/pump-rul.onnx'),
    flag: 'rul-model',
    placeholder: 'PATH',
    help: 'RUL model to score beside it, when the file exists',
  },
  alertRulH: {
    schema: z.string().default('0.01'),
    flag: 'alert-rul-h',
    placeholder: 'H',
    help: 'passed to inference as ALERT_RUL_H: the rul_low threshold whose lead time before BROKEN is measured (STRESS pumps live about 0.04 h)',
  },
  mode: {
    schema: z.enum(['nominal', 'accelerated', 'stress']).default('stress'),
    flag: 'mode',
    placeholder: 'MODE',
    help: 'production simulator mode: score a model trained for that clock',
  },
  pumps: { schema: intOption(200, { min: 1 }), flag: 'pumps', placeholder: 'N', help: 'fleet size' },
  minutes: {
    schema: numberOption(5, { min: 0.1 }),
    flag: 'minutes',
    placeholder: 'M',
    help: 'simulated minutes',
  },
  timeScale: {
    schema: numberOption(10, { min: 1, max: 100 }),
    flag: 'time-scale',
    placeholder: 'X',
    help: 'replay speed-up',
  },
  seed: {
    schema: intOption(7, { min: 0 }),
    flag: 'seed',
    placeholder: 'S',
    help: 'production simulator seed',
  },
  smoothWindow: {
    schema: z.string().optional(),
    flag: 'smooth-window',
    placeholder: 'N',
    help: 'passed to inference (default: its own)',
  },
  smoothAgree: {
    schema: z.string().optional(),
    flag: 'smooth-agree',
    placeholder: 'K',
    help: 'passed to inference (default: its own)',
  },
  smoothCalm: {
    schema: z.string().optional(),
    flag: 'smooth-calm',
    placeholder: 'K',
    help: 'passed to inference (default: its own)',
  },
} as const satisfies OptionSpecs;

const config = configOrExit(
  parseConfig(program, options, { argv: process.argv.slice(2), env: {} }),
  program,
  {
    out: console.log,
    err: console.error,
    exit: process.exit,
  },
);
const modelPath = resolve(REPO_ROOT, config.model);
if (!existsSync(modelPath)) {
  console.error(`quality: no model at ${modelPath}; train one with pnpm train (see README)`);
  process.exit(1);
}

const rulModelPath = resolve(REPO_ROOT, config.rulModel);
const withRul = existsSync(rulModelPath);

const broker = await startMosquitto();
const inference = startService('inference', ['--http-port', '0', '--model', modelPath], {
  MQTT_URL: broker.url,
  // No file: a path that cannot exist, so that inference serves no RUL model rather than look elsewhere.
  RUL_MODEL_PATH: withRul ? rulModelPath : join(REPO_ROOT, 'models', 'no-rul-model-for-quality.onnx'),
  ALERT_RUL_H: config.alertRulH,
  ...(config.smoothWindow ? { SMOOTH_WINDOW: config.smoothWindow } : {}),
  ...(config.smoothAgree ? { SMOOTH_AGREE: config.smoothAgree } : {}),
  ...(config.smoothCalm ? { SMOOTH_CALM: config.smoothCalm } : {}),
});
const recorder = await recordMessages(broker.url, [
  'pdm/v1/predictions/+',
  'pdm/v1/alerts/+',
  'pdm/v1/groundtruth/+',
]);
try {
  await inference.waitForLine(/inference running/, 60_000);
  process.stderr.write(
    `scoring ${modelPath}${withRul ? ` and ${rulModelPath}` : ''}: ${config.pumps} pumps, ${config.minutes} simulated minutes at ${config.timeScale}×, ${config.mode.toUpperCase()}, chaos on…\n`,
  );
  const simulator = startService(
    'production-simulator',
    [
      '--mode',
      config.mode,
      '--chaos',
      '--pumps',
      String(config.pumps),
      '--duration',
      String(config.minutes * 60),
    ],
    { MQTT_URL: broker.url, TIME_SCALE: String(config.timeScale), SEED: String(config.seed) },
  );
  if ((await simulator.exited) !== 0) throw new Error(`production simulator failed:\n${simulator.stderr()}`);
  const summary = simulator.logs().find((l) => l.msg === 'production run complete') as {
    telemetrySent: number;
  };
  await inference.whileRunning(
    recorder.waitFor(summary.telemetrySent, (m) => m.topic.includes('/predictions/'), 120_000),
  );
  await new Promise((r) => setTimeout(r, 500));
  report(score(), await inferenceRulMetrics());
} finally {
  inference.signal('SIGTERM');
  await inference.exited;
  await recorder.close();
  await broker.stop();
}

/** Inference's own live RUL figures, from its /metrics (NaN when it scored none). */
async function inferenceRulMetrics(): Promise<{ mae: number; rmse: number }> {
  const port = (JSON.parse(await inference.waitForLine(/serving \/healthz/)) as { port: number }).port;
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { mae: gauge('pdm_inference_rul_mae_hours'), rmse: gauge('pdm_inference_rul_rmse_hours') };
}

function score() {
  const truth = new Map<string, PumpState>();
  /** each sample's true RUL (h), lifecycle and device time */
  const truthLife = new Map<string, { rulH: number; lifecycle: number; ts: number }>();
  /** when each pump's lifecycle first reached BROKEN, device time: `pump#lifecycle` */
  const brokenAt = new Map<string, number>();
  const predictions: {
    key: string;
    state: PumpState;
    raw: PumpState;
    pump: string;
    seq: number;
    rulH: number | undefined;
  }[] = [];
  const alarms: string[] = [];
  const rulLow: { pump: string; seq: number; ts: number }[] = [];
  const chaos = new Map<string, string[]>();
  for (const m of recorder.messages) {
    const kind = parseTopic(m.topic)?.kind;
    const body = JSON.parse(m.payload.toString()) as unknown;
    if (kind === 'groundtruth') {
      const t = groundTruthSchema.parse(body);
      truth.set(`${t.pump_id}#${t.seq}`, t.state);
      truthLife.set(`${t.pump_id}#${t.seq}`, { rulH: t.rul_h, lifecycle: t.lifecycle, ts: t.ts });
      const life = `${t.pump_id}#${t.lifecycle}`;
      if (t.state === 'BROKEN' && !brokenAt.has(life)) brokenAt.set(life, t.ts);
      if (t.chaos.length > 0) chaos.set(`${t.pump_id}#${t.seq}`, t.chaos);
    } else if (kind === 'predictions') {
      const p = predictionSchema.parse(body);
      predictions.push({
        key: `${p.pump_id}#${p.seq}`,
        state: p.state,
        raw: p.raw_state,
        pump: p.pump_id,
        seq: p.seq,
        rulH: p.rul_h,
      });
    } else if (kind === 'alerts') {
      const a = alertSchema.parse(body);
      if (a.kind === 'alarm') alarms.push(`${a.pump_id}#${a.seq}`);
      if (a.kind === 'rul_low') rulLow.push({ pump: a.pump_id, seq: a.seq, ts: a.ts });
    }
  }
  // The RUL's error where both halves have one; and each rul_low's lead over its lifecycle's BROKEN.
  let rulScored = 0;
  let rulAbs = 0;
  let rulSquared = 0;
  for (const p of predictions) {
    const t = truthLife.get(p.key);
    if (p.rulH === undefined || !t) continue;
    rulScored += 1;
    rulAbs += Math.abs(p.rulH - t.rulH);
    rulSquared += (p.rulH - t.rulH) ** 2;
  }
  // Per lifecycle that broke, its first rul_low: a re-armed alert later in the same life warns no earlier.
  const firstRulLow = new Map<string, number>();
  for (const a of rulLow) {
    const t = truthLife.get(`${a.pump}#${a.seq}`);
    if (!t) continue;
    const life = `${a.pump}#${t.lifecycle}`;
    firstRulLow.set(life, Math.min(a.ts, firstRulLow.get(life) ?? a.ts));
  }
  const leadsS: number[] = [];
  let rulLowAfterBroken = 0;
  for (const [life, ts] of firstRulLow) {
    const broken = brokenAt.get(life);
    if (broken === undefined) continue; // the lifecycle did not reach BROKEN within the run
    if (broken > ts) leadsS.push((broken - ts) / 1000);
    else rulLowAfterBroken += 1;
  }
  leadsS.sort((x, y) => x - y);
  predictions.sort((a, b) => a.pump.localeCompare(b.pump) || a.seq - b.seq);
  const confusion = PUMP_STATES.map(() => PUMP_STATES.map(() => 0));
  let scored = 0;
  let smoothedRight = 0;
  let rawRight = 0;
  let rawFalseAlarms = 0;
  for (const [i, p] of predictions.entries()) {
    const t = truth.get(p.key);
    if (!t) continue;
    scored += 1;
    if (p.state === t) smoothedRight += 1;
    if (p.raw === t) rawRight += 1;
    const row = confusion[PUMP_STATES.indexOf(t)] as number[];
    row[PUMP_STATES.indexOf(p.state)] = (row[PUMP_STATES.indexOf(p.state)] as number) + 1;
    // What alerting on every sample's own state would have raised.
    const before = predictions[i - 1];
    const enteredAlarm =
      ALARM_STATES.includes(p.raw) && !(before?.pump === p.pump && ALARM_STATES.includes(before.raw));
    if (enteredAlarm && t === 'HEALTHY') rawFalseAlarms += 1;
  }
  const falseAlarmKeys = alarms.filter((k) => truth.get(k) === 'HEALTHY');
  const falseAlarms = falseAlarmKeys.length;
  // What led up to each false alarm, so it can be understood rather than just counted.
  for (const key of falseAlarmKeys) {
    const [pump, seqText] = key.split('#') as [string, string];
    const seq = Number(seqText);
    const context = predictions
      .filter((p) => p.pump === pump && p.seq > seq - 12 && p.seq <= seq)
      .map(
        (p) =>
          `${p.seq}: truth ${truth.get(p.key) ?? '?'} ${chaos.get(p.key)?.join('+') ?? ''} raw ${p.raw} → ${p.state}`,
      );
    process.stderr.write(`false alarm ${key}:\n  ${context.join('\n  ')}\n`);
  }
  return {
    scored,
    smoothedRight,
    rawRight,
    falseAlarms,
    rawFalseAlarms,
    alarms: alarms.length,
    confusion,
    predictions: predictions.length,
    rul: {
      scored: rulScored,
      mae: rulAbs / rulScored,
      rmse: Math.sqrt(rulSquared / rulScored),
      alerts: rulLow.length,
      leadsS,
      afterBroken: rulLowAfterBroken,
      brokenLifecycles: brokenAt.size,
    },
  };
}

function report(s: ReturnType<typeof score>, fromMetrics: { mae: number; rmse: number }) {
  const pumpMinutes = config.pumps * config.minutes;
  const per1000 = (n: number) => (n / pumpMinutes) * 1000;
  const accuracy = s.smoothedRight / s.scored;
  const rows = [
    ['predictions scored against the truth', formatNumber(s.scored), '', ''],
    [
      'smoothed-state accuracy',
      accuracy.toFixed(4),
      '≥ 0.90 (aim 0.95)',
      `per-sample states: ${(s.rawRight / s.scored).toFixed(4)}`,
    ],
    [
      'false FAULTY/BROKEN alarms per 1,000 pump-minutes (truth HEALTHY)',
      `${per1000(s.falseAlarms).toFixed(2)} (${s.falseAlarms} of ${s.alarms} alarms)`,
      '≤ 1',
      `alerting on per-sample states: ${per1000(s.rawFalseAlarms).toFixed(2)} (${s.rawFalseAlarms})`,
    ],
  ];
  if (s.rul.scored > 0) {
    const median = s.rul.leadsS[Math.floor(s.rul.leadsS.length / 2)];
    rows.push(
      ['predictions with a RUL scored', formatNumber(s.rul.scored), '', ''],
      [
        'live RUL MAE (smoothed rul_h, hours)',
        s.rul.mae.toFixed(4),
        '',
        `inference /metrics: ${fromMetrics.mae.toFixed(4)}`,
      ],
      [
        'live RUL RMSE (hours)',
        s.rul.rmse.toFixed(4),
        '',
        `inference /metrics: ${fromMetrics.rmse.toFixed(4)}`,
      ],
      [
        `lifecycles warned by rul_low (ALERT_RUL_H ${config.alertRulH} h) before BROKEN`,
        `${s.rul.leadsS.length} of ${s.rul.brokenLifecycles} that broke; ${s.rul.afterBroken} warned only after`,
        'before BROKEN',
        `${s.rul.alerts} rul_low alerts in all`,
      ],
      [
        'median lead of a lifecycle’s first rul_low before BROKEN (device s)',
        median === undefined ? '—' : median.toFixed(1),
        '',
        s.rul.leadsS.length > 0
          ? `range ${s.rul.leadsS[0]?.toFixed(1)} … ${s.rul.leadsS.at(-1)?.toFixed(1)} s`
          : '',
      ],
    );
  }
  console.log(
    `\nModel ${modelPath}${withRul ? `, RUL model ${rulModelPath}` : ', no RUL model'}; ${config.mode.toUpperCase()}; ${config.pumps} pumps × ${config.minutes} simulated min = ${formatNumber(pumpMinutes)} pump-minutes\n`,
  );
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] as string).length), 8));
  for (const r of [['figure', 'result', 'target', 'baseline (same run)'], ...rows]) {
    console.log(`| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`);
  }
  console.log('\nConfusion (rows: truth, columns: smoothed prediction)');
  console.log(`${''.padEnd(8)} ${PUMP_STATES.map((p) => p.padStart(8)).join(' ')}`);
  for (const [i, row] of s.confusion.entries())
    console.log(`${(PUMP_STATES[i] as string).padEnd(8)} ${row.map((n) => String(n).padStart(8)).join(' ')}`);
  process.exitCode = accuracy >= 0.9 && per1000(s.falseAlarms) <= 1 ? 0 : 1;
}
