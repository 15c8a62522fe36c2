import { describe, expect, it } from 'vitest';
import { ForestError } from '../errors.ts';
import { matrix, matrixFromRows } from '../matrix.ts';
import { ForestModel } from '../model.ts';
import { makeClassification } from '../synthetic.ts';
import { exportOnnx, modelCard } from './export.ts';
import {
  hashTrainingData,
  MODEL_FORMAT,
  type ModelMetadata,
  propsToCard,
  readOnnxMetadata,
} from './metadata.ts';
import { ProtoWriter } from './protobuf-writer.ts';

const data = makeClassification({ rows: 400, features: 3, classes: 3, seed: 2 });
const labels = Array.from(data.y, (c) => ['HEALTHY', 'WARNING', 'FAULTY'][c]!);
const model = ForestModel.train(data.x, labels, { nTrees: 5, seed: 1, maxDepth: 6 });
const metadata: ModelMetadata = {
  featureNames: ['vibration_rms', 'temperature', 'pressure'],
  featureUnits: ['mm/s', '°C', 'bar'],
  trainingDataSha256: hashTrainingData(data.x, labels),
  metrics: { accuracy: 0.93, macroF1: 0.91 },
  createdAt: '2026-03-01T12:00:00.000Z',
  trainerVersion: '1.2.3',
  rows: { train: 400, test: 100 },
  notes: { dataset: 'training-simulator seed 7', 'non-ascii': 'Förderhöhe ✓' },
};

describe('ONNX metadata', () => {
  it('round-trips every field through metadata_props', () => {
    const props = readOnnxMetadata(exportOnnx(model, metadata));
    expect(props.format).toBe(MODEL_FORMAT);
    expect(JSON.parse(props.classes!)).toEqual(['FAULTY', 'HEALTHY', 'WARNING']);
    const card = propsToCard(props);
    expect(card).toEqual(modelCard(model, metadata));
    expect(card.hyperparameters).toMatchObject({ nTrees: 5, maxDepth: 6, seed: 1, maxFeatures: 'sqrt' });
    expect(Object.keys(card.featureImportances)).toEqual(metadata.featureNames);
  });

  it('reads metadata_props wherever they sit among other fields, skipping the rest', () => {
    const bytes = new ProtoWriter()
      .int(1, 8)
      .message(14, new ProtoWriter().string(1, 'a').string(2, '1'))
      .message(7, new ProtoWriter().string(2, 'graph'))
      .message(14, new ProtoWriter().string(1, 'b').string(2, ''))
      .finish();
    expect(readOnnxMetadata(bytes)).toEqual({ a: '1', b: '' });
  });

  it('rejects bytes that are not ONNX with a malformed-onnx error', () => {
    const garbage = new TextEncoder().encode('not a model, just text');
    expect(() => readOnnxMetadata(garbage)).toThrow(expect.objectContaining({ code: 'malformed-onnx' }));
  });

  it('tells a model from another exporter apart from one of a newer format', () => {
    expect(() => propsToCard({})).toThrow(expect.objectContaining({ code: 'invalid-metadata' }));
    const props = readOnnxMetadata(exportOnnx(model, metadata));
    expect(() => propsToCard({ ...props, format: 'pdm-forest/2' })).toThrow(
      expect.objectContaining({ code: 'unsupported-format' }),
    );
    const { feature_units: _, ...missing } = props;
    expect(() => propsToCard(missing)).toThrow(ForestError);
    expect(() => propsToCard({ ...props, metrics: '{oops' })).toThrow(/metrics.*JSON/);
  });

  it('refuses to export with a feature name or unit per feature missing', () => {
    expect(() => exportOnnx(model, { ...metadata, featureNames: ['a', 'b'] })).toThrow(/2 feature names/);
    expect(() => exportOnnx(model, { ...metadata, featureUnits: [] })).toThrow(/0 feature units/);
  });
});

describe('hashTrainingData', () => {
  const x = matrixFromRows([
    [1, 2],
    [3, 4],
  ]);

  it('gives the same hash for the same data, whatever the array type', () => {
    expect(hashTrainingData(x, ['a', 'b'])).toBe(
      hashTrainingData(matrix(Float64Array.from(x.data), 2), ['a', 'b']),
    );
    expect(hashTrainingData(x, ['a', 'b'])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when a value, a label or the shape changes', () => {
    const base = hashTrainingData(x, ['a', 'b']);
    expect(
      hashTrainingData(
        matrixFromRows([
          [1, 2],
          [3, 4.000001],
        ]),
        ['a', 'b'],
      ),
    ).not.toBe(base);
    expect(hashTrainingData(x, ['a', 'c'])).not.toBe(base);
    expect(hashTrainingData(matrix(Float64Array.from(x.data), 4), ['a'])).not.toBe(
      hashTrainingData(x, ['a']),
    );
  });
});
