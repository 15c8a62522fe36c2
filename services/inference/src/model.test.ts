import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PUMP_STATES } from '@pdm/contract';
import { FEATURE_COUNT, FEATURE_NAMES } from '@pdm/features';
import { type ForestModel, type Matrix, ProtoWriter, selectRows } from '@pdm/forest';
import { afterAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModel, ModelError, predict } from './model.ts';
import { type TrainedFixture, trainTestModel } from './testing/model-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'pdm-inference-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
async function load(bytes: Uint8Array): Promise<LoadedModel> {
  const path = join(dir, `model-${files++}.onnx`);
  writeFileSync(path, bytes);
  return loadModel(path);
}

async function refusal(bytes: Uint8Array): Promise<ModelError> {
  const err = await load(bytes).then(
    (model) => model.session.release(),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
}

/** Every 7th training row: all four states, a few hundred rows. */
function someRows(x: Matrix<Float64Array>): Matrix<Float64Array> {
  return selectRows(
    x,
    Array.from({ length: Math.floor(x.rows / 7) }, (_, i) => 7 * i),
  ) as Matrix<Float64Array>;
}

/** Per row, state → probability: what a prediction message carries. */
function byState(classes: readonly string[], probabilities: ArrayLike<number>, rows: number) {
  const C = classes.length;
  return Array.from({ length: rows }, (_, i) =>
    Object.fromEntries(classes.map((c, k) => [c, Number(probabilities[i * C + k]!.toFixed(6))])),
  );
}

/** What the loaded model says about `x`, next to what the in-memory forest says. */
async function served(fixture: TrainedFixture, model: LoadedModel, x: Matrix<Float64Array>) {
  const out = await predict(model, Float32Array.from(x.data), x.rows);
  const forest: ForestModel = fixture.model;
  return {
    served: { labels: [...out.labels], probabilities: byState(model.classes, out.probabilities, x.rows) },
    expected: {
      labels: forest.predict(x),
      probabilities: byState(forest.classes, forest.predictProba(x), x.rows),
    },
  };
}

describe('loadModel', () => {
  it.each([
    ['our own export (output_label, output_probability)', 'pdm'],
    ['a model converted by skl2onnx with zipmap off (label, probabilities)', 'skl2onnx'],
    [
      'a model converted by skl2onnx with its default ZipMap, whose sequence of maps onnxruntime-node cannot return',
      'skl2onnx-zipmap',
    ],
  ] as const)('serves %s, predicting the states and probabilities the forest predicts', async (_, layout) => {
    const f = trainTestModel({ layout });
    const model = await load(f.bytes);
    try {
      const x = someRows(f.x);
      const { served: got, expected } = await served(f, model, x);
      expect(new Set(got.labels)).toEqual(new Set(PUMP_STATES));
      expect(got).toEqual(expected);
    } finally {
      await model.session.release();
    }
  });

  it.each(['pdm', 'skl2onnx'] as const)(
    'maps probability columns to states in the classifier’s class order, whatever order the metadata lists them in (%s)',
    async (layout) => {
      // classes_ is sorted (BROKEN, FAULTY, HEALTHY, WARNING); a hand-written snippet may list them by severity
      const f = trainTestModel({ layout, props: { classes: JSON.stringify(PUMP_STATES) } });
      const model = await load(f.bytes);
      try {
        expect(model.classes).toEqual(['BROKEN', 'FAULTY', 'HEALTHY', 'WARNING']);
        const { served: got, expected } = await served(f, model, someRows(f.x));
        expect(got.probabilities).toEqual(expected.probabilities);
      } finally {
        await model.session.release();
      }
    },
  );

  it('refuses a model whose metadata names other states than its classifier has, naming both', async () => {
    // trained on three states; the metadata claims another three, so HEALTHY's column would read as WARNING
    const f = trainTestModel({
      relabel: { WARNING: 'HEALTHY' },
      props: { classes: JSON.stringify(['BROKEN', 'FAULTY', 'WARNING']) },
    });
    const err = await refusal(f.bytes);
    expect(err.code).toBe('mismatch');
    expect(err.message).toContain('["BROKEN","FAULTY","WARNING"]');
    expect(err.message).toContain('["BROKEN","FAULTY","HEALTHY"]');
  });

  it('refuses a model whose outputs are not tensors, saying that onnxruntime-node returns tensors only', async () => {
    const err = await refusal(sequenceModel());
    expect(err.code).toBe('mismatch');
    expect(err.message).toMatch(/"probabilities" is not a tensor/);
    expect(err.message).toMatch(/onnxruntime-node returns tensors only/);
    expect(err.message).toMatch(/no output holds the predicted states as a string tensor \[N\]/);
  });
});

/**
 * The shape of a multi-output classifier's export: the features wrapped in a sequence of tensors
 * (SequenceConstruct, opset 17), which onnxruntime loads but onnxruntime-node cannot return.
 */
function sequenceModel(): Uint8Array {
  const ELEM_FLOAT = 1;
  const tensorType = (dims: readonly (number | null)[]) => {
    const shape = new ProtoWriter();
    for (const d of dims) shape.message(1, d === null ? new ProtoWriter() : new ProtoWriter().int(1, d));
    return new ProtoWriter().message(1, new ProtoWriter().int(1, ELEM_FLOAT).message(2, shape));
  };
  const valueInfo = (name: string, type: ProtoWriter) => new ProtoWriter().string(1, name).message(2, type);
  const sequenceType = new ProtoWriter().message(
    4,
    new ProtoWriter().message(1, tensorType([null, FEATURE_COUNT])),
  );
  const node = new ProtoWriter()
    .string(1, 'features')
    .string(2, 'probabilities')
    .string(3, 'wrap')
    .string(4, 'SequenceConstruct');
  const graph = new ProtoWriter()
    .message(1, node)
    .string(2, 'multi_output')
    .message(11, valueInfo('features', tensorType([null, FEATURE_COUNT])))
    .message(12, valueInfo('probabilities', sequenceType));
  const prop = (key: string, value: string) => new ProtoWriter().string(1, key).string(2, value);
  return new ProtoWriter()
    .int(1, 8)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, 17))
    .message(14, prop('feature_names', JSON.stringify(FEATURE_NAMES)))
    .message(14, prop('classes', JSON.stringify(['BROKEN', 'FAULTY', 'HEALTHY', 'WARNING'])))
    .finish();
}
