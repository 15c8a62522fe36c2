import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ForestModel, RegressionModel } from '../model.ts';
import { makeClassification, makeRegression } from '../synthetic.ts';
import { encodeOnnx, exportOnnx } from './export.ts';
import { unzipMapOutputs } from './graph.ts';

/** Debian's python3-onnx installs under /usr/bin/python3, which may not be the first python3 on PATH. */
function pythonWithOnnx(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import onnx']).status === 0) return python;
  }
  return undefined;
}

const python = pythonWithOnnx();
if (!python)
  console.warn('onnx.checker test skipped: no python3 with the onnx package (apt install python3-onnx)');

describe('the exported file', () => {
  it.skipIf(!python)(
    'passes onnx.checker.check_model with full checks (skipped without python3-onnx)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'pdm-forest-checker-'));
      try {
        const results: Record<number, string> = {};
        for (const classes of [2, 3]) {
          const data = makeClassification({ rows: 300, features: 4, classes, seed: classes });
          const model = ForestModel.train(
            data.x,
            Array.from(data.y, (c) => `c${c}`),
            { nTrees: 4, seed: 1 },
          );
          const path = join(dir, `model-${classes}.onnx`);
          writeFileSync(
            path,
            exportOnnx(model, {
              featureNames: ['a', 'b', 'c', 'd'],
              featureUnits: ['', '', '', ''],
              trainingDataSha256: '',
              metrics: {},
              createdAt: '2026-01-01T00:00:00Z',
              trainerVersion: 'test',
              rows: { train: 300, test: 0 },
            }),
          );
          const script = [
            'import sys, onnx',
            'm = onnx.load(sys.argv[1])',
            'onnx.checker.check_model(m, full_check=True)',
            'print(m.graph.node[0].op_type, m.graph.node[1].op_type, len(m.metadata_props))',
          ].join('\n');
          const run = spawnSync(python!, ['-c', script, path], { encoding: 'utf8' });
          expect(run.stderr).toBe('');
          results[classes] = run.stdout.trim();
        }
        expect(results).toEqual({
          2: 'Scaler TreeEnsembleClassifier 12',
          3: 'Scaler TreeEnsembleClassifier 12',
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!python)(
    'of a regressor passes the full check too, with output variable float [N, 1] (skipped without python3-onnx)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'pdm-forest-checker-'));
      try {
        const data = makeRegression({ rows: 300, features: 5, seed: 4 });
        const model = RegressionModel.train(data.x, data.y, { nTrees: 4, seed: 1 });
        const path = join(dir, 'regressor.onnx');
        writeFileSync(
          path,
          exportOnnx(model, {
            featureNames: ['a', 'b', 'c', 'd', 'e'],
            featureUnits: ['', '', '', '', ''],
            trainingDataSha256: '',
            metrics: {},
            createdAt: '2026-01-01T00:00:00Z',
            trainerVersion: 'test',
            rows: { train: 300, test: 0 },
            target: 'rul_h',
            targetUnit: 'h',
            labelMax: 100,
          }),
        );
        const script = [
          'import sys, onnx',
          'm = onnx.load(sys.argv[1])',
          'onnx.checker.check_model(m, full_check=True)',
          'o = m.graph.output[0]',
          'dims = [d.dim_param or str(d.dim_value) for d in o.type.tensor_type.shape.dim]',
          'props = {p.key: p.value for p in m.metadata_props}',
          'print(m.graph.node[0].op_type, m.graph.node[1].op_type, o.name, dims, props["task"], props["classes"])',
        ].join('\n');
        const run = spawnSync(python!, ['-c', script, path], { encoding: 'utf8' });
        expect(run.stderr).toBe('');
        expect(run.stdout.trim()).toBe("Scaler TreeEnsembleRegressor variable ['N', '1'] regression []");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it.skipIf(!python)(
    'in skl2onnx’s layouts, and with ZipMap taken off, passes the checker with skl2onnx’s output types (skipped without python3-onnx)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'pdm-forest-checker-'));
      try {
        const data = makeClassification({ rows: 300, features: 4, classes: 3, seed: 3 });
        const model = ForestModel.train(
          data.x,
          Array.from(data.y, (c) => `c${c}`),
          { nTrees: 4, seed: 1 },
        );
        const metadata = {
          featureNames: ['a', 'b', 'c', 'd'],
          featureUnits: ['', '', '', ''],
          trainingDataSha256: '',
          metrics: {},
          createdAt: '2026-01-01T00:00:00Z',
          trainerVersion: 'test',
          rows: { train: 300, test: 0 },
        };
        const zipped = encodeOnnx(model, metadata, { layout: 'skl2onnx-zipmap' });
        const files = {
          skl2onnx: encodeOnnx(model, metadata, { layout: 'skl2onnx' }),
          zipmap: zipped,
          unzipped: unzipMapOutputs(zipped).bytes,
        };
        // onnx 1.12's printable_type cannot show a dimension with neither value nor name, as skl2onnx writes;
        // its full check (shape inference) fails on any ZipMap ("type case unsupported"), one built by
        // onnx.helper too, so the ZipMap graph gets the structural check only
        const script = [
          'import sys, onnx',
          'name = onnx.TensorProto.DataType.Name',
          'def t(p):',
          '    k = p.WhichOneof("value")',
          '    if k == "sequence_type": return f"seq({t(p.sequence_type.elem_type)})"',
          '    if k == "map_type": return f"map({name(p.map_type.key_type)}, {t(p.map_type.value_type)})"',
          '    dims = [str(d.dim_value) if d.HasField("dim_value") else d.dim_param or "?" for d in p.tensor_type.shape.dim]',
          '    return name(p.tensor_type.elem_type) + (f" [{\', \'.join(dims)}]" if p.tensor_type.HasField("shape") else "")',
          'm = onnx.load(sys.argv[1])',
          'onnx.checker.check_model(m, full_check=sys.argv[2] == "full")',
          'print(" ".join(n.op_type for n in m.graph.node), "|", ", ".join(f"{o.name}: {t(o.type)}" for o in m.graph.output))',
        ].join('\n');
        const results: Record<string, string> = {};
        for (const [name, bytes] of Object.entries(files)) {
          const path = join(dir, `${name}.onnx`);
          writeFileSync(path, bytes);
          const check = name === 'zipmap' ? 'structure' : 'full';
          const run = spawnSync(python!, ['-c', script, path, check], { encoding: 'utf8' });
          expect(run.stderr).toBe('');
          results[name] = run.stdout.trim();
        }
        expect(results).toEqual({
          skl2onnx: 'Scaler TreeEnsembleClassifier | label: STRING [?], probabilities: FLOAT [?, 3]',
          zipmap:
            'Scaler TreeEnsembleClassifier Identity ZipMap | output_label: STRING [?], ' +
            'output_probability: seq(map(STRING, FLOAT))',
          unzipped:
            'Scaler TreeEnsembleClassifier Identity | output_label: STRING [?], probabilities: FLOAT [?, 3]',
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
