/** Test fixtures: small real models (state and RUL) trained on simulator data, and deliberately wrong ones. */
import { writeFile } from 'node:fs/promises';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURES, FeatureExtractor, yieldsFeatures } from '@pdm/features';
import {
  encodeOnnx,
  encodeRegressor,
  ForestModel,
  hashTrainingData,
  type Matrix,
  matrix,
  type OutputLayout,
  RegressionModel,
  writeModelFiles,
} from '@pdm/forest';
import { DEFAULT_CHAOS_RATES, trainingFleet } from '@pdm/pump-physics';

export interface FixtureOptions {
  readonly trees?: number;
  readonly seed?: number;
  /** names written into the metadata, to make a mismatched model */
  readonly featureNames?: readonly string[];
  /** the graph's outputs: ours (default) or skl2onnx's, without or with ZipMap */
  readonly layout?: OutputLayout;
  /** metadata_props to add or replace, e.g. `classes` in another order */
  readonly props?: Readonly<Record<string, string>>;
  /** states to learn under another name, e.g. { WARNING: 'HEALTHY' } for a 3-class model */
  readonly relabel?: Readonly<Partial<Record<string, string>>>;
}

export interface TrainedFixture {
  readonly model: ForestModel;
  /** the training rows, float64, FEATURE_COUNT columns */
  readonly x: Matrix<Float64Array>;
  readonly bytes: Uint8Array;
}

/** Feature rows of a STRESS-clock training run (chaos on), with each row's state and RUL in hours. */
function trainingRows(seed: number) {
  const extractor = new FeatureExtractor();
  const values: number[] = [];
  const states: string[] = [];
  const rulH: number[] = [];
  const row = new Float64Array(FEATURE_COUNT);
  for (const m of trainingFleet({
    pumps: 40,
    seed,
    lifetime: { beta: 2, eta: 150 / 3600 / 0.8862 },
    intervalS: 1,
    postFailureSamples: 15,
    startMs: Date.parse('2026-01-01T00:00:00Z'),
    idPrefix: `fixture-${seed}`,
    chaos: { ...DEFAULT_CHAOS_RATES, dropout: 0 },
    lifecycles: 3,
  })) {
    if (!yieldsFeatures(extractor.push(m.sample, row))) continue;
    values.push(...row);
    states.push(m.state);
    rulH.push(m.sample.rul_h);
  }
  return { x: matrix(Float64Array.from(values), FEATURE_COUNT), states, rulH };
}

/** What `pnpm train` writes besides the model itself, for a fixture trained on `x`. */
function fixtureMetadata(
  seed: number,
  x: Matrix,
  labels: readonly string[],
  featureNames?: readonly string[],
) {
  const names = featureNames ?? FEATURE_NAMES;
  return {
    featureNames: names,
    featureUnits: names.map((_, i) => FEATURES[i]?.unit ?? ''),
    trainingDataSha256: hashTrainingData(x, labels),
    metrics: {},
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seed)).toISOString(),
    trainerVersion: 'test-fixture',
    rows: { train: x.rows, test: 0 },
  };
}

/** Trains a small forest on a STRESS-clock training run (chaos on) and encodes it like `pnpm train` does. */
export function trainTestModel(options: FixtureOptions = {}): TrainedFixture {
  const seed = options.seed ?? 1;
  const { x, states } = trainingRows(seed);
  const labels = states.map((s) => options.relabel?.[s] ?? s);
  const model = ForestModel.train(x, labels, {
    nTrees: options.trees ?? 15,
    maxDepth: 12,
    minSamplesLeaf: 3,
    seed,
  });
  const bytes = encodeOnnx(model, fixtureMetadata(seed, x, labels, options.featureNames), {
    ...(options.layout ? { layout: options.layout } : {}),
    ...(options.props ? { props: options.props } : {}),
  });
  return { model, x, bytes };
}

export interface RulFixtureOptions {
  readonly trees?: number;
  readonly seed?: number;
  /** names written into the metadata, to make a mismatched model */
  readonly featureNames?: readonly string[];
  /** metadata_props to add or replace, e.g. `target` */
  readonly props?: Readonly<Record<string, string>>;
}

export interface TrainedRulFixture {
  readonly model: RegressionModel;
  /** the training rows, float64, FEATURE_COUNT columns */
  readonly x: Matrix<Float64Array>;
  readonly bytes: Uint8Array;
}

/**
 * Trains a small RUL regressor (rul_h, hours) on the same kind of run and encodes it like
 * `pnpm train --task regression --label rul_h` does.
 */
export function trainRulTestModel(options: RulFixtureOptions = {}): TrainedRulFixture {
  const seed = options.seed ?? 1;
  const { x, rulH } = trainingRows(seed);
  const model = RegressionModel.train(x, rulH, {
    nTrees: options.trees ?? 15,
    maxDepth: 12,
    minSamplesLeaf: 3,
    seed,
  });
  const metadata = {
    ...fixtureMetadata(seed, x, rulH.map(String), options.featureNames),
    target: 'rul_h',
    targetUnit: 'h',
    labelMax: null,
  };
  const bytes = encodeRegressor(model, metadata, options.props ? { props: options.props } : {});
  return { model, x, bytes };
}

/** Trains a small RUL regressor and writes it like `pnpm train --task regression` does. */
export async function writeRulTestModel(path: string, options: RulFixtureOptions = {}): Promise<void> {
  await writeModelFiles(path, trainRulTestModel(options).bytes);
}

/** Trains a small model and writes it like `pnpm train` does. */
export async function writeTestModel(path: string, options: FixtureOptions = {}): Promise<void> {
  await writeModelFiles(path, trainTestModel(options).bytes);
}

/** Not a model at all: what a truncated copy or a wrong file looks like. */
export async function writeCorruptModel(path: string): Promise<void> {
  await writeFile(path, Buffer.from('this is not an ONNX protobuf, just bytes'));
}
