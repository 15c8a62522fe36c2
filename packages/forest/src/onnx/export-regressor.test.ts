import { Rng } from '@pdm/random';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { type Matrix, matrix, selectRows } from '../matrix.ts';
import { trainTestSplit } from '../metrics.ts';
import { RegressionModel } from '../model.ts';
import { makeRegression } from '../synthetic.ts';
import { encodeRegressor, exportOnnx, modelCard, ONNX_INPUT, ONNX_OUTPUT_VARIABLE } from './export.ts';
import { readOnnxGraph } from './graph.ts';
import { propsToCard, type RegressionMetadata, readOnnxMetadata } from './metadata.ts';

function metadataFor(model: RegressionModel, labelMax: number | null = 125): RegressionMetadata {
  const names = Array.from({ length: model.nFeatures }, (_, f) => `f${f}`);
  return {
    featureNames: names,
    featureUnits: names.map(() => 'mm/s'),
    trainingDataSha256: '0'.repeat(64),
    metrics: { rmse: 3.5, mae: 2.5 },
    createdAt: '2026-01-01T00:00:00.000Z',
    trainerVersion: '0.1.0-test',
    rows: { train: model.trainingRows, test: 0 },
    target: 'rul_h',
    targetUnit: 'h',
    labelMax,
  };
}

async function runOnnx(
  bytes: Uint8Array,
  x: Matrix,
): Promise<{ values: Float32Array; dims: readonly number[] }> {
  const session = await InferenceSession.create(bytes);
  try {
    const out = await session.run({
      [ONNX_INPUT]: new Tensor('float32', Float32Array.from(x.data), [x.rows, x.cols]),
    });
    const variable = out[ONNX_OUTPUT_VARIABLE]!;
    return { values: variable.data as Float32Array, dims: variable.dims };
  } finally {
    await session.release();
  }
}

/** Rows on which onnxruntime's float32 output differs from the in-memory prediction at all. */
function mismatches(expected: Float64Array, actual: Float32Array): number {
  let n = 0;
  for (let i = 0; i < expected.length; i++) if (expected[i] !== actual[i]) n++;
  return n;
}

describe.each([
  // 300 trees: well above the tree count (80) from which onnxruntime adds trees on several threads
  { name: 'a 300-tree model of a target in the thousands', trees: 300, offset: 3000, maxDepth: null },
  { name: 'a 40-tree model of a target around zero', trees: 40, offset: -10, maxDepth: 6 },
])('ONNX export of $name', ({ trees, offset, maxDepth }) => {
  const data = makeRegression({ rows: 3000, features: 7, noise: 1, offset, seed: trees });
  const split = trainTestSplit(data.x.rows, { seed: 1 });
  const model = RegressionModel.train(
    selectRows(data.x, split.train),
    Array.from(split.train, (i) => data.y[i]!),
    { nTrees: trees, seed: 3, maxDepth },
  );
  const bytes = exportOnnx(model, metadataFor(model));
  const heldOut = selectRows(data.x, split.test);

  it('has the I/O of skl2onnx’s regressor: features float32 [N, F] in, variable float32 [N, 1] out', async () => {
    const session = await InferenceSession.create(bytes);
    expect(session.inputNames).toEqual([ONNX_INPUT]);
    expect(session.outputNames).toEqual([ONNX_OUTPUT_VARIABLE]);
    expect(session.inputMetadata[0]).toMatchObject({ isTensor: true, type: 'float32', shape: ['N', 7] });
    expect(session.outputMetadata[0]).toMatchObject({ isTensor: true, type: 'float32', shape: ['N', 1] });
    await session.release();
    expect((await runOnnx(bytes, heldOut)).dims).toEqual([heldOut.rows, 1]);
  });

  it('gives onnxruntime’s output bit for bit on every held-out row', async () => {
    const { values } = await runOnnx(bytes, heldOut);
    expect(values.length).toBe(750);
    expect(mismatches(model.predict(heldOut), values)).toBe(0);
  });

  it('agrees one row at a time too, where onnxruntime splits the trees across threads', async () => {
    const session = await InferenceSession.create(bytes);
    const predicted = model.predict(heldOut);
    let differing = 0;
    for (let i = 0; i < 40; i++) {
      const row = new Tensor('float32', Float32Array.from(heldOut.data.subarray(i * 7, (i + 1) * 7)), [1, 7]);
      const out = await session.run({ [ONNX_INPUT]: row });
      if ((out[ONNX_OUTPUT_VARIABLE]!.data as Float32Array)[0] !== predicted[i]) differing++;
    }
    await session.release();
    expect(differing).toBe(0);
  });

  it('agrees on values far outside the training range and on rows built from split thresholds', async () => {
    const rng = new Rng(trees);
    const probes = new Float64Array(500 * 7);
    const { onnxOffset, onnxScale } = model.scaler;
    for (let i = 0; i < 500; i++) {
      const tree = model.forest.trees[i % trees]!;
      for (let f = 0; f < 7; f++) probes[i * 7 + f] = (rng.next() - 0.5) * 10;
      const node = rng.int(tree.feature.length);
      const f = tree.feature[node]!;
      // the raw value whose scaled float32 lands on the threshold, give or take rounding
      if (f >= 0) probes[i * 7 + f] = tree.threshold[node]! / onnxScale[f]! + onnxOffset[f]!;
    }
    const x = matrix(probes, 7);
    expect(mismatches(model.predict(x), (await runOnnx(bytes, x)).values)).toBe(0);
  });
});

describe('a regressor’s ONNX file', () => {
  const data = makeRegression({ rows: 500, features: 5, seed: 2 });
  const model = RegressionModel.train(data.x, data.y, { nTrees: 5, seed: 1 });

  it('is Scaler → TreeEnsembleRegressor with the one output variable', () => {
    const graph = readOnnxGraph(exportOnnx(model, metadataFor(model)));
    expect(graph.nodes.map((n) => `${n.domain}:${n.opType} ${n.inputs} → ${n.outputs}`)).toEqual([
      'ai.onnx.ml:Scaler features → scaled_features',
      'ai.onnx.ml:TreeEnsembleRegressor scaled_features → variable',
    ]);
    expect(graph.outputs).toEqual([ONNX_OUTPUT_VARIABLE]);
    expect(graph.nodes[1]!.classLabels).toBeUndefined();
  });

  it('says in metadata_props that it is a regressor of rul_h in hours clipped at 125, with no classes', () => {
    const bytes = exportOnnx(model, metadataFor(model));
    const props = readOnnxMetadata(bytes);
    expect(props).toMatchObject({
      task: 'regression',
      target: 'rul_h',
      target_unit: 'h',
      label_max: '125',
      classes: '[]',
    });
    const card = propsToCard(props);
    expect(card).toEqual(modelCard(model, metadataFor(model)));
    expect(card.hyperparameters).toMatchObject({ nTrees: 5, seed: 1 });
    expect(Object.keys(card.featureImportances)).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
  });

  it('writes label_max null when the target was not clipped, and refuses a label_max that is not positive', () => {
    expect(readOnnxMetadata(exportOnnx(model, metadataFor(model, null))).label_max).toBe('null');
    expect(propsToCard(readOnnxMetadata(exportOnnx(model, metadataFor(model, null)))).labelMax).toBeNull();
    expect(() => exportOnnx(model, metadataFor(model, 0))).toThrow(/labelMax/);
  });

  it('lets extra metadata_props be added, as for a classifier', () => {
    const bytes = encodeRegressor(model, metadataFor(model), { props: { dataset: 'C-MAPSS FD001' } });
    expect(readOnnxMetadata(bytes).dataset).toBe('C-MAPSS FD001');
  });
});
