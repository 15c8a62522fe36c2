import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ForestError } from '../errors.ts';
import { ForestModel } from '../model.ts';
import { makeClassification } from '../synthetic.ts';
import { encodeOnnx, type OutputLayout } from './export.ts';
import { readOnnxGraph, unzipMapOutputs } from './graph.ts';
import { type ModelMetadata, readOnnxMetadata } from './metadata.ts';
import { ProtoWriter } from './protobuf-writer.ts';

const data = makeClassification({ rows: 600, features: 4, classes: 3, seed: 3 });
const labels = Array.from(data.y, (c) => ['ok', 'worn', 'broken'][c]!);
const model = ForestModel.train(data.x, labels, { nTrees: 8, seed: 3 });
const metadata: ModelMetadata = {
  featureNames: ['a', 'b', 'c', 'd'],
  featureUnits: ['', '', '', ''],
  trainingDataSha256: '',
  metrics: {},
  createdAt: '2026-01-01T00:00:00Z',
  trainerVersion: 'test',
  rows: { train: 600, test: 0 },
};
const encode = (layout: OutputLayout) => encodeOnnx(model, metadata, { layout });

async function run(bytes: Uint8Array) {
  const session = await InferenceSession.create(bytes);
  try {
    const x = new Tensor('float32', Float32Array.from(data.x.data), [data.x.rows, 4]);
    const out = await session.run({ features: x });
    return Object.fromEntries(
      session.outputNames.map((name) => [
        name,
        { dims: out[name]!.dims, data: Array.from(out[name]!.data as ArrayLike<unknown>) },
      ]),
    );
  } finally {
    await session.release();
  }
}

describe('readOnnxGraph', () => {
  it('reads the nodes, the classifier’s class labels and the outputs of skl2onnx’s graph with ZipMap', () => {
    const graph = readOnnxGraph(encode('skl2onnx-zipmap'));
    expect(graph.nodes.map((n) => `${n.domain}:${n.opType} ${n.inputs} → ${n.outputs}`)).toEqual([
      'ai.onnx.ml:Scaler features → variable',
      'ai.onnx.ml:TreeEnsembleClassifier variable → label,probabilities',
      ':Identity label → output_label',
      'ai.onnx.ml:ZipMap probabilities → output_probability',
    ]);
    expect(graph.nodes[1]!.classLabels).toEqual(['broken', 'ok', 'worn']);
    expect(graph.nodes[3]!.classLabels).toEqual(['broken', 'ok', 'worn']);
    expect(graph.outputs).toEqual(['output_label', 'output_probability']);
  });

  it('counts integer class labels, written one varint each as the onnx package writes them', () => {
    const attribute = new ProtoWriter()
      .string(1, 'classlabels_int64s')
      .int(8, 0)
      .int(8, 1)
      .int(8, 2)
      .int(20, 7);
    const node = new ProtoWriter().string(1, 'x').string(2, 'y').string(4, 'ZipMap').message(5, attribute);
    const bytes = new ProtoWriter().message(7, new ProtoWriter().message(1, node)).finish();
    expect(readOnnxGraph(bytes).nodes[0]).toMatchObject({ opType: 'ZipMap', integerClassCount: 3 });
    expect(readOnnxGraph(bytes).nodes[0]?.classLabels).toBeUndefined();
  });

  it('refuses bytes that are not ONNX with a malformed-onnx error', () => {
    const read = () => readOnnxGraph(new TextEncoder().encode('not a model at all'));
    expect(read).toThrow(ForestError);
    expect(read).toThrow(expect.objectContaining({ code: 'malformed-onnx' }));
  });
});

describe('unzipMapOutputs', () => {
  it('makes ZipMap’s input an output in its place, so onnxruntime-node returns what the graph without ZipMap returns', async () => {
    const { bytes, unzipped } = unzipMapOutputs(encode('skl2onnx-zipmap'));
    expect(unzipped).toEqual([
      {
        output: 'output_probability',
        tensor: 'probabilities',
        classLabels: ['broken', 'ok', 'worn'],
        classCount: 3,
      },
    ]);
    expect(readOnnxGraph(bytes).nodes.map((n) => n.opType)).toEqual([
      'Scaler',
      'TreeEnsembleClassifier',
      'Identity',
    ]);
    const unzippedOut = await run(bytes);
    const plain = await run(encode('skl2onnx'));
    expect(Object.keys(unzippedOut)).toEqual(['output_label', 'probabilities']);
    expect(unzippedOut.output_label).toEqual(plain.label);
    expect(unzippedOut.probabilities).toEqual(plain.probabilities);
    expect(unzippedOut.probabilities!.dims).toEqual([600, 3]);
  });

  it('keeps the metadata and returns a graph without ZipMap as it is', () => {
    const zipped = encode('skl2onnx-zipmap');
    const unzipped = unzipMapOutputs(zipped).bytes;
    expect(readOnnxGraph(unzipped).outputs).toEqual(['output_label', 'probabilities']);
    expect(readOnnxMetadata(unzipped)).toEqual(readOnnxMetadata(zipped));
    expect(Object.keys(readOnnxMetadata(unzipped))).toContain('classes');
    const plain = encode('skl2onnx');
    expect(unzipMapOutputs(plain).bytes).toBe(plain);
  });
});
