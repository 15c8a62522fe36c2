import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FEATURE_NAMES } from '@pdm/features';
import { type Matrix, selectRows } from '@pdm/forest';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, ModelError } from './model.ts';
import { loadRulModel, predictRul, type RulModel } from './rul-model.ts';
import { trainRulTestModel, trainTestModel } from './testing/model-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'pdm-inference-rul-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(bytes: Uint8Array): string {
  const path = join(dir, `model-${files++}.onnx`);
  writeFileSync(path, bytes);
  return path;
}

async function refusal(load: Promise<{ session: { release(): Promise<void> } }>): Promise<ModelError> {
  const err = await load.then(
    (model) => model.session.release(),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  return err as ModelError;
}

const rul = trainRulTestModel({ seed: 1, trees: 8 });

describe('loadRulModel', () => {
  it('serves a regressor of rul_h on our features, with the same outputs as the in-memory forest', async () => {
    const model: RulModel = await loadRulModel(file(rul.bytes));
    try {
      expect(model.io).toEqual({ input: 'features', output: 'variable' });
      expect(model.version).toMatch(/^2026-01-01T00:00:01\.000Z#[0-9a-f]{8}$/);
      const x = selectRows(
        rul.x,
        Array.from({ length: 200 }, (_, i) => 37 * i),
      ) as Matrix<Float64Array>;
      const served = await predictRul(model, Float32Array.from(x.data), x.rows);
      const expected = Float32Array.from(rul.model.predict(x));
      expect(Array.from(served)).toEqual(Array.from(expected));
      expect(new Set(served).size).toBeGreaterThan(10);
    } finally {
      await model.session.release();
    }
  });

  it('refuses the state classifier, saying where it belongs', async () => {
    const err = await refusal(loadRulModel(file(trainTestModel({ seed: 1, trees: 3 }).bytes)));
    expect(err.code).toBe('mismatch');
    expect(err.message).toMatch(/is a classification model, not a regression model: RUL_MODEL_PATH takes/);
  });

  it('refuses a regressor of another target, or of other features', async () => {
    const health = trainRulTestModel({ seed: 2, trees: 2, props: { target: 'health_pct' } });
    expect((await refusal(loadRulModel(file(health.bytes)))).message).toMatch(
      /predicts "health_pct", not rul_h/,
    );
    const reversed = trainRulTestModel({ seed: 2, trees: 2, featureNames: [...FEATURE_NAMES].reverse() });
    expect((await refusal(loadRulModel(file(reversed.bytes)))).message).toMatch(/trained on other features/);
  });

  it('says a missing file is missing, and the state model’s loader refuses a RUL model', async () => {
    expect((await refusal(loadRulModel(join(dir, 'nothing.onnx')))).code).toBe('missing');
    const err = await refusal(loadModel(file(rul.bytes)));
    expect(err.message).toMatch(
      /is a regression model of rul_h, not a classification model: MODEL_PATH takes/,
    );
  });
});
