/** The trained artefacts: StandardScaler → random forest, over string classes or over a number. */
import { type ForestOptions, RandomForestClassifier, RandomForestRegressor } from './forest.ts';
import { LabelEncoder } from './label-encoder.ts';
import { argmax } from './leaf-weights.ts';
import type { Matrix } from './matrix.ts';
import { StandardScaler } from './scaler.ts';

export interface ForestModelParts {
  readonly scaler: StandardScaler;
  readonly labels: LabelEncoder;
  readonly forest: RandomForestClassifier;
  readonly trainingRows: number;
}

/**
 * The same pipeline as scikit-learn's make_pipeline(StandardScaler(), RandomForestClassifier()), with one
 * deliberate difference: the trees are trained on the scaled values exactly as the ONNX Scaler computes them
 * in float32, so the exported graph reproduces every comparison the in-memory model makes.
 */
export class ForestModel {
  readonly scaler: StandardScaler;
  readonly labels: LabelEncoder;
  readonly forest: RandomForestClassifier;
  readonly trainingRows: number;

  constructor(parts: ForestModelParts) {
    if (parts.scaler.nFeatures !== parts.forest.nFeatures)
      throw new RangeError('scaler and forest widths differ');
    if (parts.labels.classes.length !== parts.forest.nClasses)
      throw new RangeError('label and forest classes differ');
    this.scaler = parts.scaler;
    this.labels = parts.labels;
    this.forest = parts.forest;
    this.trainingRows = parts.trainingRows;
  }

  static train(x: Matrix, labels: readonly string[], options: ForestOptions = {}): ForestModel {
    if (labels.length !== x.rows) throw new RangeError(`${x.rows} rows but ${labels.length} labels`);
    const encoder = LabelEncoder.fit(labels);
    if (encoder.classes.length < 2) throw new RangeError('training needs at least two classes');
    const scaler = StandardScaler.fit(x);
    const forest = RandomForestClassifier.fit(
      scaler.transformFloat32(x),
      encoder.transform(labels),
      encoder.classes.length,
      options,
    );
    return new ForestModel({ scaler, labels: encoder, forest, trainingRows: x.rows });
  }

  get classes(): readonly string[] {
    return this.labels.classes;
  }

  get nFeatures(): number {
    return this.scaler.nFeatures;
  }

  /** rows × classes, row-major, in the order of `classes`; what ONNX's output_probability holds. */
  predictProba(x: Matrix): Float64Array {
    if (x.cols !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} columns, got ${x.cols}`);
    const C = this.classes.length;
    const out = new Float64Array(x.rows * C);
    const row = new Float32Array(x.cols);
    for (let i = 0; i < x.rows; i++) {
      this.scaler.scaleRowFloat32(x, i, row);
      this.forest.probabilitiesOfRow(row, out, i * C);
    }
    return out;
  }

  /** Class index per row, into `classes`. */
  predictCodes(x: Matrix): Int32Array {
    const C = this.classes.length;
    const proba = this.predictProba(x);
    return Int32Array.from({ length: x.rows }, (_, i) => argmax(proba, i * C, C));
  }

  /** Class label per row; what ONNX's output_label holds. */
  predict(x: Matrix): string[] {
    return this.labels.inverseTransform(this.predictCodes(x));
  }
}

export interface RegressionModelParts {
  readonly scaler: StandardScaler;
  readonly forest: RandomForestRegressor;
  readonly trainingRows: number;
}

/**
 * StandardScaler → random forest regressor, fed raw feature values: make_pipeline(StandardScaler(),
 * RandomForestRegressor()), with the trees trained on the float32 scaled values as ForestModel's are.
 */
export class RegressionModel {
  readonly scaler: StandardScaler;
  readonly forest: RandomForestRegressor;
  readonly trainingRows: number;

  constructor(parts: RegressionModelParts) {
    if (parts.scaler.nFeatures !== parts.forest.nFeatures)
      throw new RangeError('scaler and forest widths differ');
    this.scaler = parts.scaler;
    this.forest = parts.forest;
    this.trainingRows = parts.trainingRows;
  }

  static train(x: Matrix, targets: ArrayLike<number>, options: ForestOptions = {}): RegressionModel {
    if (targets.length !== x.rows) throw new RangeError(`${x.rows} rows but ${targets.length} targets`);
    const scaler = StandardScaler.fit(x);
    const forest = RandomForestRegressor.fit(scaler.transformFloat32(x), targets, options);
    return new RegressionModel({ scaler, forest, trainingRows: x.rows });
  }

  get nFeatures(): number {
    return this.scaler.nFeatures;
  }

  /** One value per row, each exactly a float32: what ONNX's `variable` output holds. */
  predict(x: Matrix): Float64Array {
    if (x.cols !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} columns, got ${x.cols}`);
    const out = new Float64Array(x.rows);
    const row = new Float32Array(x.cols);
    for (let i = 0; i < x.rows; i++) {
      this.scaler.scaleRowFloat32(x, i, row);
      out[i] = this.forest.valueOfRow(row);
    }
    return out;
  }
}
