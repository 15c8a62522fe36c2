/**
 * What a model says about itself. The same facts go into the ONNX file's metadata_props (so the inference
 * service can vet a model from its bytes alone) and into the JSON sidecar (for people and tools).
 */
import { createHash } from 'node:crypto';
import { ForestError } from '../errors.ts';
import type { ForestParams } from '../forest.ts';
import type { Matrix } from '../matrix.ts';
import { ProtoReader } from './protobuf-reader.ts';

/** Bumped when the meaning of a metadata key or of the graph changes. */
export const MODEL_FORMAT = 'pdm-forest/1';

/** What a model predicts: a state (a class label) or a number such as the remaining useful life. */
export const MODEL_TASKS = ['classification', 'regression'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

/** Facts only the trainer knows; the exporter adds the ones the model knows (see ModelCard). */
export interface ModelMetadata {
  /** column order of the `features` input */
  readonly featureNames: readonly string[];
  /** unit of each feature, same order, e.g. 'mm/s' */
  readonly featureUnits: readonly string[];
  /** see hashTrainingData */
  readonly trainingDataSha256: string;
  /** held-out scores, e.g. { accuracy: 0.97, macroF1: 0.95 } */
  readonly metrics: Readonly<Record<string, number>>;
  /** ISO 8601 */
  readonly createdAt: string;
  readonly trainerVersion: string;
  readonly rows: { readonly train: number; readonly test: number };
  /** anything else worth keeping: dataset name, simulator seed, git commit */
  readonly notes?: Readonly<Record<string, string>>;
}

/** A regressor's metadata: what it predicts, on top of what every model carries. */
export interface RegressionMetadata extends ModelMetadata {
  /** the column learned, e.g. 'rul_h' */
  readonly target: string;
  /** its unit, e.g. 'h'; '' when unknown */
  readonly targetUnit: string;
  /** the clip applied to the target while training, or null for none */
  readonly labelMax: number | null;
}

export interface ModelCard extends ModelMetadata {
  readonly format: string;
  /** absent in files written before regression existed, which are classifiers */
  readonly task: ModelTask;
  /** label strings, in the column order of output_probability; empty for a regressor */
  readonly classes: readonly string[];
  /** regression: the column the model learned to predict, e.g. 'rul_h' */
  readonly target?: string;
  /** regression: the target's unit, e.g. 'h' */
  readonly targetUnit?: string;
  /** regression: the target was clipped to at most this while training (piecewise-linear RUL), or null */
  readonly labelMax?: number | null;
  readonly hyperparameters: ForestParams;
  readonly featureImportances: Readonly<Record<string, number>>;
}

type Codec = 'string' | 'json' | 'integer';

/** metadata_props key and encoding of each card field: the one place the on-disk names are defined */
const FIELDS = {
  format: ['format', 'string'],
  task: ['task', 'string'],
  target: ['target', 'string'],
  targetUnit: ['target_unit', 'string'],
  labelMax: ['label_max', 'json'],
  featureNames: ['feature_names', 'json'],
  featureUnits: ['feature_units', 'json'],
  classes: ['classes', 'json'],
  trainingDataSha256: ['training_data_sha256', 'string'],
  metrics: ['metrics', 'json'],
  createdAt: ['created_at', 'string'],
  trainerVersion: ['trainer_version', 'string'],
  rows: ['rows', 'json'],
  hyperparameters: ['hyperparameters', 'json'],
  featureImportances: ['feature_importances', 'json'],
  notes: ['notes', 'json'],
} as const satisfies Record<keyof ModelCard, readonly [string, Codec]>;

/** Keys a file may lack: notes, and those that came with regression (an older file is a classifier). */
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set(['notes', 'task', 'target', 'targetUnit', 'labelMax']);

export function cardToProps(card: ModelCard): Record<string, string> {
  const props: Record<string, string> = {};
  for (const [field, [key, codec]] of Object.entries(FIELDS)) {
    const value = card[field as keyof ModelCard];
    if (value === undefined) continue;
    props[key] = codec === 'json' ? JSON.stringify(value) : String(value);
  }
  return props;
}

/** Parses and checks metadata_props; a ForestError says what is missing or wrong. */
export function propsToCard(props: Readonly<Record<string, string>>): ModelCard {
  const format = props[FIELDS.format[0]];
  if (format === undefined)
    throw new ForestError('invalid-metadata', 'no "format" key: not a @pdm/forest model');
  if (format !== MODEL_FORMAT) {
    throw new ForestError('unsupported-format', `model format ${format}, this reader knows ${MODEL_FORMAT}`);
  }
  const card: Record<string, unknown> = {};
  for (const [field, [key, codec]] of Object.entries(FIELDS)) {
    const raw = props[key];
    if (raw === undefined) {
      if (OPTIONAL_FIELDS.has(field)) continue;
      throw new ForestError('invalid-metadata', `metadata key "${key}" is missing`);
    }
    try {
      card[field] = codec === 'json' ? JSON.parse(raw) : raw;
    } catch (cause) {
      throw new ForestError('invalid-metadata', `metadata key "${key}" is not valid JSON`, { cause });
    }
  }
  card.task ??= 'classification';
  const parsed = card as unknown as ModelCard;
  if (!(MODEL_TASKS as readonly string[]).includes(parsed.task)) {
    throw new ForestError(
      'invalid-metadata',
      `task "${parsed.task}" is neither ${MODEL_TASKS.join(' nor ')}`,
    );
  }
  const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (!isStrings(parsed.featureNames) || !isStrings(parsed.featureUnits) || !isStrings(parsed.classes)) {
    throw new ForestError(
      'invalid-metadata',
      'feature_names, feature_units and classes must be string arrays',
    );
  }
  if (parsed.featureNames.length !== parsed.featureUnits.length) {
    throw new ForestError('invalid-metadata', 'feature_names and feature_units differ in length');
  }
  return parsed;
}

/** metadata_props of an ONNX model, read without decoding the graph (fields other than 14 are skipped). */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const METADATA_PROPS = 14;
  const text = new TextDecoder('utf-8', { fatal: true });
  const props: Record<string, string> = {};
  try {
    const model = new ProtoReader(bytes);
    while (!model.done) {
      const { field, wire } = model.tag();
      if (field !== METADATA_PROPS || wire !== 2) {
        model.skip(wire);
        continue;
      }
      const entry = model.lengthDelimited();
      const reader = new ProtoReader(entry);
      let key = '';
      let value = '';
      while (!reader.done) {
        const tag = reader.tag();
        if (tag.field === 1 && tag.wire === 2) key = text.decode(reader.lengthDelimited());
        else if (tag.field === 2 && tag.wire === 2) value = text.decode(reader.lengthDelimited());
        else reader.skip(tag.wire);
      }
      props[key] = value;
    }
  } catch (cause) {
    throw new ForestError('malformed-onnx', 'bytes are not a well-formed ONNX model', { cause });
  }
  return props;
}

/**
 * SHA-256 of the training set as the trainer saw it: shape, float64 values (little-endian, row-major) and
 * labels (class strings, or a regressor's targets). Two runs on the same data give the same hash; any changed value or label changes it.
 */
export function hashTrainingData(x: Matrix, labels: readonly (string | number)[]): string {
  const hash = createHash('sha256');
  hash.update(`pdm-forest-training-data/1 rows=${x.rows} cols=${x.cols}\n`);
  const chunkRows = 4096;
  const buf = new Float64Array(chunkRows * x.cols);
  const bytes = new Uint8Array(buf.buffer);
  const view = new DataView(buf.buffer);
  for (let start = 0; start < x.rows; start += chunkRows) {
    const end = Math.min(x.rows, start + chunkRows);
    const n = (end - start) * x.cols;
    for (let k = 0; k < n; k++) view.setFloat64(8 * k, x.data[start * x.cols + k]!, true);
    hash.update(bytes.subarray(0, 8 * n));
  }
  hash.update(JSON.stringify(labels));
  return hash.digest('hex');
}
