import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ForestModel } from '../model.ts';
import { makeClassification } from '../synthetic.ts';
import { exportOnnx } from './export.ts';

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
          2: 'Scaler TreeEnsembleClassifier 11',
          3: 'Scaler TreeEnsembleClassifier 11',
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
