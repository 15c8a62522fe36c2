/** Datasets for the scikit-learn comparison: synthetic ones, and real ones bundled with scikit-learn. */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { type Matrix, matrix } from '../src/matrix.ts';
import { makeClassification, makeRegression } from '../src/synthetic.ts';

export interface Dataset {
  readonly name: string;
  readonly x: Matrix<Float64Array>;
  readonly labels: readonly string[];
}

/** Debian's python3-sklearn ships these CSVs; we read them directly, no Python involved. */
export const SKLEARN_DATA_DIR = '/usr/lib/python3/dist-packages/sklearn/datasets/data';

export const BUNDLED = ['breast_cancer', 'wine', 'iris', 'digits'] as const;
export type BundledName = (typeof BUNDLED)[number];

const FILES: Record<BundledName, { file: string; header: boolean }> = {
  breast_cancer: { file: 'breast_cancer.csv', header: true },
  wine: { file: 'wine_data.csv', header: true },
  iris: { file: 'iris.csv', header: true },
  digits: { file: 'digits.csv.gz', header: false },
};

/** A bundled dataset, or a reason it is not available on this machine. */
export function loadBundled(
  name: BundledName,
  dir = SKLEARN_DATA_DIR,
): Dataset | { readonly skipped: string } {
  const { file, header } = FILES[name];
  const path = `${dir}/${file}`;
  if (!existsSync(path)) return { skipped: `${path} not found (install python3-sklearn)` };
  const raw = readFileSync(path);
  const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  // scikit-learn's header line is "n_samples,n_features,class names..."; the label is the last column
  const classNames = header ? lines.shift()!.split(',').slice(2) : [];
  const rows = lines.map((l) => l.split(',').map(Number));
  const cols = rows[0]!.length - 1;
  const data = new Float64Array(rows.length * cols);
  const labels = rows.map((r, i) => {
    data.set(r.slice(0, cols), i * cols);
    const code = r[cols]!;
    return classNames[code] ?? String(code);
  });
  return { name, x: matrix(data, cols), labels };
}

export function synthetic(rows: number, features: number, classes: number, seed = 7): Dataset {
  const { x, y } = makeClassification({
    rows,
    features,
    informative: Math.min(features, 8),
    redundant: Math.min(Math.max(0, features - 8), 4),
    classes,
    flipY: 0.03,
    seed,
  });
  return { name: `synthetic-${rows}x${features}-${classes}c`, x, labels: Array.from(y, (c) => `c${c}`) };
}

export interface RegressionDataset {
  readonly name: string;
  readonly x: Matrix<Float64Array>;
  readonly y: Float64Array;
}

/** scikit-learn's diabetes data (442 patients, 10 features, disease progression after a year), raw. */
export function loadDiabetes(dir = SKLEARN_DATA_DIR): RegressionDataset | { readonly skipped: string } {
  const [xPath, yPath] = [`${dir}/diabetes_data_raw.csv.gz`, `${dir}/diabetes_target.csv.gz`];
  if (!existsSync(xPath) || !existsSync(yPath))
    return { skipped: `${xPath} not found (install python3-sklearn)` };
  const lines = (path: string) =>
    gunzipSync(readFileSync(path))
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
  const rows = lines(xPath).map((l) => l.trim().split(/\s+/).map(Number));
  const cols = rows[0]!.length;
  const x = new Float64Array(rows.length * cols);
  for (const [i, r] of rows.entries()) x.set(r, i * cols);
  return { name: 'diabetes', x: matrix(x, cols), y: Float64Array.from(lines(yPath), Number) };
}

export function syntheticRegression(rows: number, features: number, seed = 7): RegressionDataset {
  const { x, y } = makeRegression({ rows, features, noise: 1, seed });
  return { name: `friedman1-${rows}x${features}`, x, y };
}
