/**
 * The optional remaining-useful-life model, vetted like the state model before it serves: a regressor
 * (metadata `task`) of `rul_h` in hours, on exactly the features this service computes, with one float32
 * [N, 1] output found by type and shape (`variable`, as skl2onnx and our export name it, where two fit).
 */
import type { GroundTruthField } from '@pdm/contract';
import { FEATURE_NAMES } from '@pdm/features';
import { ONNX_OUTPUT_VARIABLE } from '@pdm/forest';
import ort from 'onnxruntime-node';
import {
  checkFeatures,
  checkTask,
  describe,
  findFeatureInput,
  jsonArray,
  ModelError,
  modelVersion,
  pick,
  probeRun,
  readModelFile,
  type ServedModel,
  vetSession,
} from './model.ts';

/** The ground-truth field the model must have learned: predictions carry it as `rul_h`. */
export const RUL_TARGET = 'rul_h' satisfies GroundTruthField;

export interface RulModel extends ServedModel {
  /** the graph's feature input and its [N, 1] output */
  readonly io: { readonly input: string; readonly output: string };
}

const USE = `RUL_MODEL_PATH takes a regressor of ${RUL_TARGET} (pnpm train --task regression --label ${RUL_TARGET})`;

export async function loadRulModel(path: string, fingerprint = ''): Promise<RulModel> {
  const file = await readModelFile(path);
  const { props } = file;
  checkTask(props, 'regression', path, USE);
  if (props.target !== RUL_TARGET) {
    throw new ModelError(
      'mismatch',
      `${path} predicts ${props.target === undefined ? 'an unnamed target (no "target" in its metadata)' : `"${props.target}"`}, not ${RUL_TARGET}: ${USE}`,
    );
  }
  checkFeatures(jsonArray(props.feature_names, 'feature_names', path), path);
  return vetSession(file.bytes, path, async (session) => {
    const problems: string[] = [];
    const input = findFeatureInput(session, problems);
    const outputs = session.outputMetadata;
    const columns = outputs.filter(
      (m) =>
        m.isTensor &&
        m.type === 'float32' &&
        m.shape.length === 2 &&
        (typeof m.shape[1] !== 'number' || m.shape[1] === 1),
    );
    const output = pick(columns, [ONNX_OUTPUT_VARIABLE], `predicted ${RUL_TARGET}`, problems);
    if (columns.length === 0) {
      problems.push(`no output holds the predicted ${RUL_TARGET} as a float32 tensor [N, 1]`);
    }
    if (!input || !output || problems.length > 0) {
      throw new ModelError(
        'mismatch',
        `${path} does not have the inputs and outputs a RUL model needs: ${problems.join('; ')}. ` +
          `Its outputs: ${outputs.map(describe).join(', ')}.`,
      );
    }
    const model: RulModel = {
      path,
      version: modelVersion(file),
      io: { input, output },
      session,
      fingerprint,
    };
    await probe(model, path);
    return model;
  });
}

/** One onnxruntime run over `rows` rows of FEATURE_NAMES.length features: each row's raw RUL in hours. */
export async function predictRul(
  model: RulModel,
  features: Float32Array,
  rows: number,
): Promise<Float32Array> {
  const { input, output } = model.io;
  const tensor = new ort.Tensor('float32', features, [rows, FEATURE_NAMES.length]);
  const out = await model.session.run({ [input]: tensor }, [output]);
  return out[output]?.data as Float32Array;
}

/** One row of zeros through the model: it runs, and gives one finite number. */
async function probe(model: RulModel, path: string): Promise<void> {
  const out = await probeRun(path, () => predictRul(model, new Float32Array(FEATURE_NAMES.length), 1));
  if (out.length !== 1 || !Number.isFinite(out[0])) {
    throw new ModelError(
      'mismatch',
      `${path} does not run as a RUL model should: ${model.io.output} gave ${JSON.stringify(Array.from(out))} for one row`,
    );
  }
}
