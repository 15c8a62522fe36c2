/**
 * Scores a model on the production simulator's stream, the live quality target: telemetry through the
 * shared FeatureExtractor, the ONNX model in onnxruntime, predictions against the ground truth topic.
 * Repairs, the feature window straddling them and (with --chaos) chaos events are all in there.
 *
 *   pnpm --silent production-simulator --stdout --mode stress --pumps 200 --duration 600 --time-scale 30 \
 *     --log-level warn | npx tsx services/trainer/scripts/score-production.ts [--model models/pump-state.onnx]
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type GroundTruth, groundTruthSchema, type Telemetry, telemetrySchema } from '@pdm/contract';
import { FEATURE_COUNT, FeatureExtractor, WINDOW, yieldsFeatures } from '@pdm/features';
import {
  classificationReport,
  ONNX_INPUT,
  ONNX_OUTPUT_LABEL,
  propsToCard,
  readOnnxMetadata,
} from '@pdm/forest';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { confusionMatrix, displayOrder } from '../src/report.ts';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'models/pump-state.onnx' } } });
const bytes = readFileSync(values.model!);
const card = propsToCard(readOnnxMetadata(bytes));

// The truth of a sample may come before or after its telemetry; join them by pump and seq.
const telemetry: Telemetry[] = [];
const truth = new Map<string, GroundTruth>();
let malformed = 0;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
  if (line.trim() === '') continue;
  const { topic, payload } = JSON.parse(line) as { topic: string; payload: unknown };
  if (topic.startsWith('pdm/v1/telemetry/')) {
    const parsed = telemetrySchema.safeParse(payload);
    if (parsed.success) telemetry.push(parsed.data);
    else malformed++;
  } else if (topic.startsWith('pdm/v1/groundtruth/')) {
    const parsed = groundTruthSchema.parse(payload);
    truth.set(`${parsed.pump_id}/${parsed.seq}`, parsed);
  }
}

const extractor = new FeatureExtractor();
const features = new Float32Array(telemetry.length * FEATURE_COUNT);
const labels: string[] = [];
const withChaos: boolean[] = [];
// samples whose feature window still holds samples from before a repair: training never shows these
const afterRepair: boolean[] = [];
const lifecycleStart = new Map<string, { lifecycle: number; seq: number }>();
let rows = 0;
for (const sample of telemetry) {
  const t = truth.get(`${sample.pump_id}/${sample.seq}`);
  if (!t || !yieldsFeatures(extractor.push(sample, features, rows * FEATURE_COUNT))) continue;
  const start = lifecycleStart.get(t.pump_id);
  if (!start || start.lifecycle !== t.lifecycle)
    lifecycleStart.set(t.pump_id, { lifecycle: t.lifecycle, seq: t.seq });
  const since = t.seq - (lifecycleStart.get(t.pump_id)?.seq ?? t.seq);
  labels.push(t.state);
  withChaos.push(t.chaos.length > 0);
  afterRepair.push(t.lifecycle > 0 && since < WINDOW - 1);
  rows++;
}

const session = await InferenceSession.create(bytes);
const predicted: string[] = [];
const BATCH = 8192;
for (let start = 0; start < rows; start += BATCH) {
  const n = Math.min(BATCH, rows - start);
  const input = new Tensor('float32', features.subarray(start * FEATURE_COUNT, (start + n) * FEATURE_COUNT), [
    n,
    FEATURE_COUNT,
  ]);
  const out = await session.run({ [ONNX_INPUT]: input });
  predicted.push(...(out[ONNX_OUTPUT_LABEL]!.data as string[]));
}
await session.release();

const order = displayOrder(card.classes);
const scores = classificationReport(labels, predicted, card.classes);
console.log(
  `${values.model}: ${rows} production samples scored (${malformed} malformed skipped, ` +
    `${withChaos.filter(Boolean).length} during chaos)`,
);
console.log(`accuracy ${(100 * scores.accuracy).toFixed(2)} %, macro-F1 ${scores.macroF1.toFixed(4)}`);
console.table(
  Object.fromEntries(
    order.map((c) => [
      c,
      {
        precision: scores.perClass[c]!.precision.toFixed(4),
        recall: scores.perClass[c]!.recall.toFixed(4),
        f1: scores.perClass[c]!.f1.toFixed(4),
        support: scores.perClass[c]!.support,
      },
    ]),
  ),
);
const subset = (name: string, keep: (i: number) => boolean) => {
  const idx = labels.map((_, i) => i).filter(keep);
  const r = classificationReport(
    idx.map((i) => labels[i]!),
    idx.map((i) => predicted[i]!),
    card.classes,
  );
  console.log(
    `${name}: ${idx.length} samples, accuracy ${(100 * r.accuracy).toFixed(2)} %, macro-F1 ${r.macroF1.toFixed(4)}`,
  );
};
subset(`within ${WINDOW - 1} samples after a repair`, (i) => afterRepair[i]!);
subset('all others', (i) => !afterRepair[i]);
const matrix = confusionMatrix(labels, predicted, order);
console.log('confusion matrix (rows: true, columns: predicted)');
console.table(
  Object.fromEntries(
    order.map((c, t) => [c, Object.fromEntries(order.map((p, k) => [p, matrix.counts[t]![k]]))]),
  ),
);
