import { Rng } from '@pdm/random';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type Matrix, matrix, selectRows } from '../matrix.ts';
import { trainTestSplit } from '../metrics.ts';
import { ForestModel } from '../model.ts';
import { makeClassification } from '../synthetic.ts';
import { encodeOnnx, exportOnnx, ONNX_INPUT, ONNX_OUTPUT_LABEL, ONNX_OUTPUT_PROBABILITY } from './export.ts';
import type { ModelMetadata } from './metadata.ts';

function metadataFor(model: ForestModel): ModelMetadata {
  const names = Array.from({ length: model.nFeatures }, (_, f) => `f${f}`);
  return {
    featureNames: names,
    featureUnits: names.map(() => 'mm/s'),
    trainingDataSha256: '0'.repeat(64),
    metrics: { accuracy: 0.9 },
    createdAt: '2026-01-01T00:00:00.000Z',
    trainerVersion: '0.1.0-test',
    rows: { train: model.trainingRows, test: 0 },
  };
}

interface OnnxOutput {
  readonly labels: readonly string[];
  readonly proba: Float32Array;
}

async function runOnnx(session: InferenceSession, x: Matrix): Promise<OnnxOutput> {
  const input = new Tensor('float32', Float32Array.from(x.data), [x.rows, x.cols]);
  const out = await session.run({ [ONNX_INPUT]: input });
  return {
    labels: out[ONNX_OUTPUT_LABEL]!.data as string[],
    proba: out[ONNX_OUTPUT_PROBABILITY]!.data as Float32Array,
  };
}

interface Parity {
  readonly rows: number;
  readonly labelMismatches: number;
  readonly maxProbabilityDiff: number;
}

function compare(model: ForestModel, x: Matrix, onnx: OnnxOutput): Parity {
  const labels = model.predict(x);
  const proba = model.predictProba(x);
  let labelMismatches = 0;
  for (let i = 0; i < x.rows; i++) if (labels[i] !== onnx.labels[i]) labelMismatches++;
  let maxProbabilityDiff = 0;
  for (let k = 0; k < proba.length; k++) {
    maxProbabilityDiff = Math.max(maxProbabilityDiff, Math.abs(proba[k]! - onnx.proba[k]!));
  }
  return { rows: x.rows, labelMismatches, maxProbabilityDiff };
}

/** Small integers: most values of a feature are shared by many rows, and thresholds fall between them. */
function integerData(rows: number, classes: number, seed: number) {
  const rng = new Rng(seed);
  const F = 5;
  const data = new Float64Array(rows * F);
  const labels: string[] = [];
  for (let i = 0; i < rows; i++) {
    let score = 0;
    for (let f = 0; f < F; f++) {
      const v = Math.round(rng.normal() * 2);
      data[i * F + f] = v;
      score += (f + 1) * v;
    }
    const noisy = score + rng.normal() * 3;
    const c = Math.min(classes - 1, Math.max(0, Math.floor(noisy / 8 + classes / 2)));
    labels.push(['ok', 'warn', 'fault', 'broken'][c]!);
  }
  return { x: matrix(data, F), labels };
}

/** Half-integers sit exactly on the raw-space midpoints the trees split at, integers right beside them. */
function withHalfIntegers(x: Matrix<Float64Array>, seed: number): Matrix<Float64Array> {
  const rng = new Rng(seed);
  return matrix(
    x.data.map((v) => (rng.next() < 0.5 ? v + 0.5 : v)),
    x.cols,
  );
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** The float32 `steps` representable values above (or below, if negative) v. */
function stepFloat32(v: number, steps: number): number {
  f32[0] = v;
  const bits = i32[0]!;
  const ordered = (bits < 0 ? -(bits & 0x7fffffff) : bits) + steps;
  i32[0] = ordered < 0 ? -ordered | 0x80000000 : ordered;
  return f32[0]!;
}

/**
 * Rows whose value of a split feature is as close to that split's threshold as float32 allows: for each
 * split, the raw values whose scaled float32 value lands on, or one or two floats either side of, the
 * threshold. Half of them get a sub-float32 nudge, so only a model that rounds inputs to float32 agrees.
 */
function boundaryProbes(model: ForestModel, base: Matrix, limit: number) {
  const { onnxOffset, onnxScale } = model.scaler;
  const scaled = (v: number, f: number) =>
    Math.fround(Math.fround(Math.fround(v) - onnxOffset[f]!) * onnxScale[f]!);
  const rows: number[] = [];
  let onThreshold = 0;
  let below = 0;
  let above = 0;
  let r = 0;
  for (const tree of model.forest.trees) {
    for (let node = 0; node < tree.feature.length && rows.length < limit * base.cols; node++) {
      const f = tree.feature[node]!;
      if (f < 0) continue;
      const t = tree.threshold[node]!;
      const guess = Math.fround(t / onnxScale[f]! + onnxOffset[f]!);
      for (let step = -3; step <= 3; step++) {
        const v = stepFloat32(guess, step);
        const s = scaled(v, f);
        if (s === t) onThreshold++;
        else if (s < t) below++;
        else above++;
        const row = Array.from(
          base.data.subarray((r % base.rows) * base.cols, ((r % base.rows) + 1) * base.cols),
        );
        row[f] = step % 2 === 0 ? v : v * (1 + 1e-12);
        rows.push(...row);
        r++;
      }
    }
  }
  return { x: matrix(Float64Array.from(rows), base.cols), onThreshold, below, above };
}

describe.each([
  { classes: 2, name: 'a 2-class' },
  { classes: 4, name: 'a 4-class' },
])('ONNX export of $name model', ({ classes }) => {
  const data = makeClassification({ rows: 3000, features: 6, informative: 4, classes, seed: 20 + classes });
  const labels = Array.from(data.y, (c) => `state-${c}`);
  const split = trainTestSplit(data.x.rows, { seed: 1, stratify: labels });
  const model = ForestModel.train(
    selectRows(data.x, split.train),
    Array.from(split.train, (i) => labels[i]!),
    // 100 trees: above onnxruntime's threshold (80) for summing trees on several threads
    { nTrees: 100, seed: classes },
  );
  const bytes = exportOnnx(model, metadataFor(model));
  const heldOut = selectRows(data.x, split.test);

  it('keeps the I/O contract of skl2onnx’s StandardScaler + RandomForestClassifier export', async () => {
    const session = await InferenceSession.create(bytes);
    expect(session.inputNames).toEqual([ONNX_INPUT]);
    expect(session.outputNames).toEqual([ONNX_OUTPUT_LABEL, ONNX_OUTPUT_PROBABILITY]);
    expect(session.inputMetadata[0]).toMatchObject({ isTensor: true, type: 'float32', shape: ['N', 6] });
    expect(session.outputMetadata[0]).toMatchObject({ isTensor: true, type: 'string', shape: ['N'] });
    expect(session.outputMetadata[1]).toMatchObject({
      isTensor: true,
      type: 'float32',
      shape: ['N', classes],
    });
  });

  it('gives onnxruntime the in-memory labels on every held-out row, and probabilities within 1e-5', async () => {
    const session = await InferenceSession.create(bytes);
    const parity = compare(model, heldOut, await runOnnx(session, heldOut));
    expect(parity).toMatchObject({ rows: split.test.length, labelMismatches: 0 });
    expect(parity.rows).toBeGreaterThan(700);
    expect(parity.maxProbabilityDiff).toBeLessThanOrEqual(1e-5);
  });

  it('in fact gives bit-identical probabilities, because leaf weights sit on an exact float32 grid', async () => {
    const session = await InferenceSession.create(bytes);
    expect(compare(model, heldOut, await runOnnx(session, heldOut)).maxProbabilityDiff).toBe(0);
  });

  it('agrees one row at a time too, where onnxruntime splits the trees across threads', async () => {
    const session = await InferenceSession.create(bytes);
    for (let i = 0; i < 25; i++) {
      const row = selectRows(heldOut, [i]);
      const parity = compare(model, row, await runOnnx(session, row));
      expect(parity.labelMismatches).toBe(0);
      expect(parity.maxProbabilityDiff).toBeLessThanOrEqual(1e-5);
    }
  });

  it('outputs probabilities that sum to 1 in the order of the classes', async () => {
    const session = await InferenceSession.create(bytes);
    const { labels: onnxLabels, proba } = await runOnnx(session, heldOut);
    for (let i = 0; i < heldOut.rows; i++) {
      const p = Array.from(proba.subarray(i * classes, (i + 1) * classes));
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(onnxLabels[i]).toBe(model.classes[p.indexOf(Math.max(...p))]);
    }
  });
});

describe.each([2, 4])('ONNX export of a %i-class model on small-integer features', (classes) => {
  const train = integerData(2000, classes, classes);
  const model = ForestModel.train(train.x, train.labels, { nTrees: 100, seed: 7 });
  const bytes = exportOnnx(model, metadataFor(model));
  const test = integerData(600, classes, 100 + classes);

  it('agrees with onnxruntime on integers and on half-integers that sit on the split points', async () => {
    const session = await InferenceSession.create(bytes);
    const x = withHalfIntegers(test.x, 3);
    const parity = compare(model, x, await runOnnx(session, x));
    expect(parity).toMatchObject({ rows: 600, labelMismatches: 0 });
    expect(parity.maxProbabilityDiff).toBeLessThanOrEqual(1e-5);
  });

  it('agrees with onnxruntime on values one float32 step either side of, and exactly on, thresholds', async () => {
    const session = await InferenceSession.create(bytes);
    const probes = boundaryProbes(model, test.x, 3000);
    // the probes really straddle the thresholds, or this test would prove nothing
    expect(probes.onThreshold).toBeGreaterThan(50);
    expect(probes.below).toBeGreaterThan(50);
    expect(probes.above).toBeGreaterThan(50);
    const parity = compare(model, probes.x, await runOnnx(session, probes.x));
    expect(parity.labelMismatches).toBe(0);
    expect(parity.maxProbabilityDiff).toBeLessThanOrEqual(1e-5);
  });
});

describe('the two-class trap', () => {
  it('is real: onnxruntime mislabels a 2-class ensemble whose leaves carry weights for both classes', async () => {
    const data = makeClassification({ rows: 1500, features: 4, classes: 2, classSep: 0.5, seed: 8 });
    const labels = Array.from(data.y, (c) => (c === 1 ? 'fault' : 'ok'));
    const model = ForestModel.train(data.x, labels, { nTrees: 20, seed: 8, maxDepth: 4 });
    const naive = await InferenceSession.create(
      encodeOnnx(model, metadataFor(model), { twoClassLeaves: 'both-classes' }),
    );
    const naiveParity = compare(model, data.x, await runOnnx(naive, data.x));
    // onnxruntime says "class 1" whenever p(class 1) > 0, which is most rows of an overlapping problem
    expect(naiveParity.labelMismatches).toBeGreaterThan(100);
    const fixed = await InferenceSession.create(exportOnnx(model, metadataFor(model)));
    expect(compare(model, data.x, await runOnnx(fixed, data.x)).labelMismatches).toBe(0);
  });
});

describe('the layouts of skl2onnx', () => {
  const data = makeClassification({ rows: 400, features: 4, classes: 3, seed: 9 });
  const labels = Array.from(data.y, (c) => `c${c}`);
  const model = ForestModel.train(data.x, labels, { nTrees: 5, seed: 9 });
  const x = new Tensor('float32', Float32Array.from(data.x.data), [data.x.rows, 4]);

  it('without ZipMap: outputs label (string [N]) and probabilities (float32 [N, C]), the numbers of our layout', async () => {
    const session = await InferenceSession.create(
      encodeOnnx(model, metadataFor(model), { layout: 'skl2onnx' }),
    );
    expect(session.inputNames).toEqual([ONNX_INPUT]);
    expect(session.outputMetadata).toEqual([
      { name: 'label', isTensor: true, type: 'string', shape: [''] },
      { name: 'probabilities', isTensor: true, type: 'float32', shape: ['', 3] },
    ]);
    const out = await session.run({ [ONNX_INPUT]: x });
    const oursSession = await InferenceSession.create(exportOnnx(model, metadataFor(model)));
    const ours = await runOnnx(oursSession, data.x);
    await Promise.all([session.release(), oursSession.release()]);
    expect(out.label!.data).toEqual(ours.labels);
    expect(out.probabilities!.data).toEqual(ours.proba);
  });

  it('with ZipMap: onnxruntime-node loads it, but cannot return its sequence of maps, only the labels', async () => {
    const session = await InferenceSession.create(
      encodeOnnx(model, metadataFor(model), { layout: 'skl2onnx-zipmap' }),
    );
    expect(session.outputMetadata).toEqual([
      { name: 'output_label', isTensor: true, type: 'string', shape: [''] },
      { name: 'output_probability', isTensor: false },
    ]);
    await expect(session.run({ [ONNX_INPUT]: x })).rejects.toThrow(
      'Non tensor type is temporarily not supported',
    );
    const labelsOnly = await session.run({ [ONNX_INPUT]: x }, [ONNX_OUTPUT_LABEL]);
    expect(labelsOnly[ONNX_OUTPUT_LABEL]!.data).toEqual(model.predict(data.x));
    await session.release();
  });
});
