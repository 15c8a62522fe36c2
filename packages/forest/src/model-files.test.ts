import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForestModel } from './model.ts';
import { type ModelSidecar, writeModelFiles } from './model-files.ts';
import { exportOnnx } from './onnx/export.ts';
import type { ModelMetadata } from './onnx/metadata.ts';
import { makeClassification } from './synthetic.ts';

const data = makeClassification({ rows: 300, features: 2, classes: 2, seed: 4 });
const labels = Array.from(data.y, (c) => (c ? 'FAULTY' : 'HEALTHY'));
const metadata = (trainerVersion: string): ModelMetadata => ({
  featureNames: ['vibration_rms', 'temperature'],
  featureUnits: ['mm/s', '°C'],
  trainingDataSha256: 'ab'.repeat(32),
  metrics: { accuracy: 0.9 },
  createdAt: '2026-03-01T12:00:00.000Z',
  trainerVersion,
  rows: { train: 300, test: 0 },
});
const model = ForestModel.train(data.x, labels, { nTrees: 3, seed: 1 });
const first = exportOnnx(model, metadata('1.0.0'));
const second = exportOnnx(model, metadata('2.0.0'));

describe('writeModelFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pdm-forest-files-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the model and a sidecar that names its hash and metadata, and leaves no temporary files', async () => {
    const path = join(dir, 'pump.onnx');
    const written = await writeModelFiles(path, first);
    expect(new Uint8Array(await readFile(path))).toEqual(first);
    const sidecar = JSON.parse(await readFile(join(dir, 'pump.json'), 'utf8')) as ModelSidecar;
    expect(sidecar).toEqual(written.sidecar);
    expect(sidecar.onnx).toEqual({
      file: 'pump.onnx',
      sha256: createHash('sha256').update(first).digest('hex'),
      bytes: first.length,
    });
    expect(sidecar).toMatchObject({ trainerVersion: '1.0.0', classes: ['FAULTY', 'HEALTHY'] });
    expect((await readdir(dir)).sort()).toEqual(['pump.json', 'pump.onnx']);
  });

  it('replaces an existing model and sidecar as a whole', async () => {
    const path = join(dir, 'pump.onnx');
    await writeModelFiles(path, first);
    await writeModelFiles(path, second);
    expect(new Uint8Array(await readFile(path))).toEqual(second);
    expect(JSON.parse(await readFile(join(dir, 'pump.json'), 'utf8')).trainerVersion).toBe('2.0.0');
    expect((await readdir(dir)).sort()).toEqual(['pump.json', 'pump.onnx']);
  });

  it('leaves the current model untouched and cleans up when a file cannot be put in place', async () => {
    await writeFile(join(dir, 'pump.onnx'), first);
    // a non-empty directory where the sidecar goes makes the rename fail
    await mkdir(join(dir, 'pump.json', 'blocker'), { recursive: true });
    await expect(writeModelFiles(join(dir, 'pump.onnx'), second)).rejects.toMatchObject({
      code: 'write-failed',
    });
    expect(new Uint8Array(await readFile(join(dir, 'pump.onnx')))).toEqual(first);
    expect((await readdir(dir)).sort()).toEqual(['pump.json', 'pump.onnx']);
  });

  it('writes nothing for bytes that carry no model metadata', async () => {
    await expect(writeModelFiles(join(dir, 'pump.onnx'), new Uint8Array([8, 8]))).rejects.toMatchObject({
      code: 'invalid-metadata',
    });
    expect(await readdir(dir)).toEqual([]);
  });
});
