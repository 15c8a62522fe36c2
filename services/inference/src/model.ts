/**
 * Loading a model and vetting it before it serves: the ONNX metadata must name exactly the features this
 * service computes, in the same order, and classes it knows; the graph must have the I/O contract and
 * run. Anything else is refused with a reason, so a bad file never replaces a good model.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { FEATURE_NAMES } from '@pdm/features';
import { ONNX_INPUT, ONNX_OUTPUT_LABEL, ONNX_OUTPUT_PROBABILITY, readOnnxMetadata } from '@pdm/forest';
import { PUMP_STATES, type PumpState } from '@pdm/telemetry';
import ort from 'onnxruntime-node';

export type ModelErrorCode = 'missing' | 'unreadable' | 'malformed' | 'mismatch';

export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface LoadedModel {
  readonly path: string;
  /** `<created_at>#<first 8 hex of the file's sha256>`: changes with every new file */
  readonly version: string;
  /** label strings in output_probability's column order */
  readonly classes: readonly PumpState[];
  readonly session: ort.InferenceSession;
  /** the file's size and mtime when loaded, to notice a replacement */
  readonly fingerprint: string;
}

export async function loadModel(path: string, fingerprint = ''): Promise<LoadedModel> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    throw new ModelError(
      code,
      code === 'missing' ? `no model at ${path}` : `cannot read ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  let props: Record<string, string>;
  try {
    props = readOnnxMetadata(bytes);
  } catch (err) {
    throw new ModelError('malformed', `${path} is not a readable ONNX model`, { cause: err });
  }
  const featureNames = jsonArray(props.feature_names, 'feature_names', path);
  const classes = jsonArray(props.classes, 'classes', path);
  checkFeatures(featureNames, path);
  const unknown = classes.filter((c) => !(PUMP_STATES as readonly string[]).includes(c));
  if (classes.length < 2 || unknown.length > 0 || new Set(classes).size !== classes.length) {
    throw new ModelError(
      'mismatch',
      `${path} has classes ${JSON.stringify(classes)}; expected two or more distinct of ${PUMP_STATES.join(', ')}`,
    );
  }

  let session: ort.InferenceSession;
  try {
    // One intra-op thread: the batches are small and the event loop needs the other core.
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (err) {
    throw new ModelError('malformed', `onnxruntime cannot load ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const missing = [
    ...(session.inputNames.includes(ONNX_INPUT) ? [] : [`input ${ONNX_INPUT}`]),
    ...[ONNX_OUTPUT_LABEL, ONNX_OUTPUT_PROBABILITY]
      .filter((o) => !session.outputNames.includes(o))
      .map((o) => `output ${o}`),
  ];
  if (missing.length > 0) {
    await session.release();
    throw new ModelError(
      'mismatch',
      `${path} lacks ${missing.join(', ')} (the model contract is in the README)`,
    );
  }
  try {
    const probe = await session.run({
      [ONNX_INPUT]: new ort.Tensor('float32', new Float32Array(FEATURE_NAMES.length), [
        1,
        FEATURE_NAMES.length,
      ]),
    });
    const width = probe[ONNX_OUTPUT_PROBABILITY]?.dims[1];
    if (width !== classes.length)
      throw new Error(`output_probability has ${width} columns for ${classes.length} classes`);
  } catch (err) {
    await session.release();
    throw new ModelError('mismatch', `${path} does not run as the contract says: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 8);
  return {
    path,
    version: `${props.created_at ?? 'unknown'}#${sha}`,
    classes: classes as PumpState[],
    session,
    fingerprint,
  };
}

function jsonArray(raw: string | undefined, key: string, path: string): string[] {
  if (raw === undefined)
    throw new ModelError(
      'mismatch',
      `${path} has no "${key}" in its metadata_props (see the model contract)`,
    );
  try {
    const value = JSON.parse(raw) as unknown;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  } catch {}
  throw new ModelError('mismatch', `${path}: metadata "${key}" is not a JSON array of strings`);
}

function checkFeatures(names: readonly string[], path: string): void {
  if (names.length === FEATURE_NAMES.length && names.every((n, i) => n === FEATURE_NAMES[i])) return;
  const at = names.findIndex((n, i) => n !== FEATURE_NAMES[i]);
  const where =
    at === -1
      ? `it has ${names.length} features, this service computes ${FEATURE_NAMES.length}`
      : `feature ${at} is "${names[at]}" where this service computes "${FEATURE_NAMES[at] ?? '(none)'}"`;
  throw new ModelError(
    'mismatch',
    `${path} was trained on other features: ${where}. Retrain with pnpm train.`,
  );
}
