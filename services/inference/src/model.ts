/**
 * Loading the state model and vetting it before it serves (and the parts every model's loading shares, see
 * rul-model.ts): the ONNX metadata must name exactly the features this
 * service computes, in the same order, and classes it knows; the graph must have the I/O contract (by type
 * and shape: our export's names and skl2onnx's both serve) and run. Anything else is refused with a
 * reason, so a bad file never replaces a good model.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PUMP_STATES, type PumpState } from '@pdm/contract';
import { FEATURE_NAMES } from '@pdm/features';
import {
  type ModelTask,
  ONNX_OUTPUT_LABEL,
  ONNX_OUTPUT_PROBABILITY,
  type OnnxGraph,
  readOnnxGraph,
  readOnnxMetadata,
  type UnzippedOutput,
  unzipMapOutputs,
} from '@pdm/forest';
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

/** Which of the graph's inputs and outputs play which part; found by type and shape, not by name. */
export interface ModelIo {
  /** float32 [N, F]: the features, in FEATURE_NAMES order (`features`) */
  readonly input: string;
  /** string [N]: the predicted state of each row (`output_label`, or skl2onnx's `label`) */
  readonly label: string;
  /** float32 [N, C]: each class's probability (`output_probability`, or skl2onnx's `probabilities`) */
  readonly probabilities: string;
}

/** What every served model has, whatever it predicts: what ModelHolder and ModelLifecycle need. */
export interface ServedModel {
  readonly path: string;
  /** `<created_at>#<first 8 hex of the file's sha256>`: changes with every new file */
  readonly version: string;
  readonly session: ort.InferenceSession;
  /** the file's size and mtime when loaded, to notice a replacement */
  readonly fingerprint: string;
}

/** The state classifier. */
export interface LoadedModel extends ServedModel {
  /** the classes in the column order of the probabilities: the classifier's own order where it states one */
  readonly classes: readonly PumpState[];
  readonly io: ModelIo;
}

/** Loads and vets a model file; `fingerprint` is what the file looked like when the load began. */
export type ModelLoader<M extends ServedModel> = (path: string, fingerprint?: string) => Promise<M>;

/** A model file's bytes, metadata_props and graph, read and parsed. */
export interface ModelFile {
  readonly bytes: Buffer;
  readonly props: Record<string, string>;
  readonly graph: OnnxGraph;
}

export async function readModelFile(path: string): Promise<ModelFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
    throw new ModelError(
      code,
      code === 'missing' ? `no model at ${path}` : `cannot read ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    return { bytes, props: readOnnxMetadata(bytes), graph: readOnnxGraph(bytes) };
  } catch (err) {
    throw new ModelError('malformed', `${path} is not a readable ONNX model`, { cause: err });
  }
}

/**
 * The model's task must be `expected`; a file without one predates regression and is a classifier.
 * `use` says where a model of the other task belongs.
 */
export function checkTask(
  props: Readonly<Record<string, string>>,
  expected: ModelTask,
  path: string,
  use: string,
): void {
  const task = props.task ?? 'classification';
  if (task === expected) return;
  const target = props.target ? ` of ${props.target}` : '';
  throw new ModelError('mismatch', `${path} is a ${task} model${target}, not a ${expected} model: ${use}`);
}

/**
 * An onnxruntime session on `bytes` (one thread of each kind), made into a model by `vet`; the session is
 * released when `vet` throws, so that a refused file holds nothing.
 */
export async function vetSession<M>(
  bytes: Uint8Array,
  path: string,
  vet: (session: ort.InferenceSession) => Promise<M>,
): Promise<M> {
  let session: ort.InferenceSession;
  try {
    // One intra-op thread: the batches are small and the event loop needs the other core.
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (err) {
    throw new ModelError('malformed', `onnxruntime cannot load ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return await vet(session);
  } catch (err) {
    await session.release();
    throw err;
  }
}

/** Runs a vetting model's first batch; a failure means the file does not run. */
export async function probeRun<T>(path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new ModelError('mismatch', `${path} does not run: ${(err as Error).message}`, { cause: err });
  }
}

/** `<created_at>#<first 8 hex of the file's sha256>`, the same for every kind of model. */
export function modelVersion(file: ModelFile): string {
  const sha = createHash('sha256').update(file.bytes).digest('hex').slice(0, 8);
  return `${file.props.created_at ?? 'unknown'}#${sha}`;
}

export async function loadModel(path: string, fingerprint = ''): Promise<LoadedModel> {
  const file = await readModelFile(path);
  const { props, graph } = file;
  let runnable: Uint8Array;
  let unzipped: readonly UnzippedOutput[];
  try {
    // onnxruntime-node cannot return ZipMap's sequence of maps: serve the float tensor ZipMap is fed instead
    ({ bytes: runnable, unzipped } = unzipMapOutputs(file.bytes, graph));
  } catch (err) {
    throw new ModelError('malformed', `${path} is not a readable ONNX model`, { cause: err });
  }
  checkTask(
    props,
    'classification',
    path,
    'MODEL_PATH takes the state classifier (a RUL regressor goes in RUL_MODEL_PATH)',
  );
  const featureNames = jsonArray(props.feature_names, 'feature_names', path);
  const metadataClasses = jsonArray(props.classes, 'classes', path);
  checkFeatures(featureNames, path);
  const unknown = metadataClasses.filter((c) => !(PUMP_STATES as readonly string[]).includes(c));
  if (
    metadataClasses.length < 2 ||
    unknown.length > 0 ||
    new Set(metadataClasses).size !== metadataClasses.length
  ) {
    throw new ModelError(
      'mismatch',
      `${path} has classes ${JSON.stringify(metadataClasses)}; expected two or more distinct of ${PUMP_STATES.join(', ')}`,
    );
  }

  return vetSession(runnable, path, async (session) => {
    const io = findIo(session, path);
    const classes = columnClasses(graph, unzipped, io.probabilities, metadataClasses, path);
    const model: LoadedModel = {
      path,
      version: modelVersion(file),
      classes: classes as PumpState[],
      io,
      session,
      fingerprint,
    };
    await probe(model, path);
    return model;
  });
}

export interface ModelOutput {
  /** the predicted state of each row */
  readonly labels: readonly string[];
  /** rows × classes, row-major, columns in the order of the model's `classes` */
  readonly probabilities: Float32Array;
}

/** One onnxruntime run over `rows` rows of FEATURE_NAMES.length features each. */
export async function predict(
  model: LoadedModel,
  features: Float32Array,
  rows: number,
): Promise<ModelOutput> {
  const { input, label, probabilities } = model.io;
  const tensor = new ort.Tensor('float32', features, [rows, FEATURE_NAMES.length]);
  // fetch only these two: another output, say one onnxruntime-node cannot return, would fail the run
  const out = await model.session.run({ [input]: tensor }, [label, probabilities]);
  return {
    labels: out[label]?.data as readonly string[],
    probabilities: out[probabilities]?.data as Float32Array,
  };
}

type ValueMetadata = ort.InferenceSession.ValueMetadata;

/** The one input, a float32 [N, F] tensor of the features; a problem when there is no such one input. */
export function findFeatureInput(session: ort.InferenceSession, problems: string[]): string | undefined {
  const F = FEATURE_NAMES.length;
  const inputs = session.inputMetadata;
  const input = inputs.find(
    (m) =>
      m.isTensor &&
      m.type === 'float32' &&
      m.shape.length === 2 &&
      (typeof m.shape[1] !== 'number' || m.shape[1] === F),
  );
  if (inputs.length !== 1 || !input) {
    problems.push(
      `it takes ${inputs.map(describe).join(', ')}, not one float32 [N, ${F}] tensor of features`,
    );
    return undefined;
  }
  return input.name;
}

/**
 * The input and the two outputs by their types and shapes, so that our export (output_label,
 * output_probability) and skl2onnx's (label, probabilities) both serve. Where two outputs fit, the
 * contract's names, then skl2onnx's, decide.
 */
function findIo(session: ort.InferenceSession, path: string): ModelIo {
  const problems: string[] = [];
  const input = findFeatureInput(session, problems);

  const outputs = session.outputMetadata;
  const labels = outputs.filter((m) => m.isTensor && m.type === 'string' && m.shape.length <= 1);
  const label = pick(labels, [ONNX_OUTPUT_LABEL, 'label'], 'predicted states', problems);
  if (labels.length === 0) {
    const integer = outputs.find((m) => m.isTensor && m.type === 'int64' && m.shape.length <= 1);
    problems.push(
      'no output holds the predicted states as a string tensor [N]' +
        (integer
          ? ` ("${integer.name}" holds integers: train on the state names, not on codes for them)`
          : ''),
    );
  }
  const probabilities = pick(
    outputs.filter((m) => m.isTensor && m.type === 'float32' && m.shape.length === 2),
    [ONNX_OUTPUT_PROBABILITY, 'probabilities'],
    'class probabilities',
    problems,
  );
  if (!probabilities) {
    problems.push('no output holds the class probabilities as a float32 tensor [N, C]');
    for (const m of outputs.filter((o) => !o.isTensor)) {
      problems.push(
        `output "${m.name}" is not a tensor (a sequence or a map), and onnxruntime-node returns tensors ` +
          `only ("Non tensor type is temporarily not supported"); inference takes skl2onnx's ZipMap off ` +
          `by itself, but this output does not come from a ZipMap. Export one classifier's probabilities ` +
          `as float32 [N, C] (skl2onnx: options={'zipmap': False})`,
      );
    }
  }
  if (problems.length > 0 || !input || !label || !probabilities) {
    throw new ModelError(
      'mismatch',
      `${path} does not have the inputs and outputs inference needs: ${problems.join('; ')}. ` +
        `Its outputs: ${outputs.map(describe).join(', ')}. The model contract is in the README.`,
    );
  }
  return { input, label, probabilities };
}

/** The one candidate, or the first by preferred name; a problem when there is none or no way to choose. */
export function pick(
  candidates: readonly ValueMetadata[],
  preferred: readonly string[],
  what: string,
  problems: string[],
): string | undefined {
  if (candidates.length === 1) return candidates[0]!.name;
  const named = preferred.find((name) => candidates.some((m) => m.name === name));
  if (named) return named;
  if (candidates.length > 1) {
    problems.push(`outputs ${candidates.map((m) => `"${m.name}"`).join(', ')} could each be the ${what}`);
  }
  return undefined;
}

export function describe(m: ValueMetadata): string {
  if (!m.isTensor) return `${m.name} (not a tensor)`;
  return `${m.name} (${m.type} [${m.shape.map((d) => (d === '' ? '?' : d)).join(', ')}])`;
}

/**
 * The classes in the probabilities' column order. A classifier of ai.onnx.ml states it (skl2onnx writes
 * scikit-learn's classes_ into classlabels_strings, and so does our export), and so does a ZipMap; that
 * order wins over the metadata's, which must name the same classes. Without either, the metadata's order.
 */
function columnClasses(
  graph: OnnxGraph,
  unzipped: readonly UnzippedOutput[],
  probabilities: string,
  metadataClasses: readonly string[],
  path: string,
): readonly string[] {
  const producer = graph.nodes.find((n) => n.outputs.includes(probabilities));
  const zipMap = unzipped.find((u) => u.tensor === probabilities);
  const stated = producer?.classLabels ?? zipMap?.classLabels;
  if (!stated) return metadataClasses;
  const same = stated.length === metadataClasses.length && stated.every((c) => metadataClasses.includes(c));
  if (!same) {
    const source = producer?.classLabels ? `its ${producer.opType}` : 'its ZipMap';
    throw new ModelError(
      'mismatch',
      `${path}: metadata "classes" ${JSON.stringify(metadataClasses)} are not the classes of ${source}, ` +
        `${JSON.stringify(stated)}. Set "classes" to the classifier's classes (scikit-learn: classes_).`,
    );
  }
  return stated;
}

/** One row of zeros through the model: it runs, and its outputs have the classes' shape. */
async function probe(model: LoadedModel, path: string): Promise<void> {
  const out = await probeRun(path, () => predict(model, new Float32Array(FEATURE_NAMES.length), 1));
  const { classes, io } = model;
  const problem =
    out.probabilities.length !== classes.length
      ? `${io.probabilities} has ${out.probabilities.length} columns for ${classes.length} classes`
      : !(classes as readonly string[]).includes(out.labels[0] ?? '')
        ? `${io.label} says ${JSON.stringify(out.labels[0])}, not one of ${JSON.stringify(classes)}`
        : undefined;
  if (problem) throw new ModelError('mismatch', `${path} does not run as the contract says: ${problem}`);
}

export function jsonArray(raw: string | undefined, key: string, path: string): string[] {
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

export function checkFeatures(names: readonly string[], path: string): void {
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
