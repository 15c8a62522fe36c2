/** What a training run reports: the JSON beside the model, and the same facts as text for a person. */

import { PUMP_STATES } from '@pdm/contract';
import type { BandScores, ClassScores, ForestParams } from '@pdm/forest';

export interface ConfusionMatrix {
  /** row and column order */
  readonly classes: readonly string[];
  /** counts[t][p]: held-out rows of true class classes[t] predicted as classes[p] */
  readonly counts: readonly (readonly number[])[];
}

export interface TrainingReport {
  readonly task: 'classification';
  readonly createdAt: string;
  readonly trainerVersion: string;
  readonly data: {
    readonly file: string;
    readonly sha256: string;
    readonly rows: number;
    readonly labelColumn: string;
    /** null: rows were split one by one (--group none) */
    readonly groupColumn: string | null;
    readonly features: readonly string[];
  };
  readonly split: {
    /** by-group: whole groups held out; by-row (--group none): rows one by one. Both stratified by class. */
    readonly method: 'by-group' | 'by-row';
    readonly testFraction: number;
    readonly seed: number;
    readonly rows: { readonly train: number; readonly test: number };
    readonly groups: { readonly train: number; readonly test: number };
    /** the held-out groups by name, so the split can be reproduced elsewhere (absent with --group none) */
    readonly testGroups?: readonly string[];
    /**
     * With --group none, the held-out rows, so the split can be reproduced elsewhere: [first, last] ranges,
     * inclusive, of 0-based row numbers, the first record after the header being row 0.
     */
    readonly testRowRanges?: readonly (readonly [number, number])[];
  };
  /** rows per class in each set */
  readonly classCounts: {
    readonly train: Readonly<Record<string, number>>;
    readonly test: Readonly<Record<string, number>>;
  };
  readonly classes: readonly string[];
  readonly hyperparameters: ForestParams;
  readonly heldOut: {
    readonly accuracy: number;
    readonly macroF1: number;
    readonly perClass: Readonly<Record<string, ClassScores>>;
    readonly confusionMatrix: ConfusionMatrix;
  };
  /** highest first */
  readonly featureImportances: readonly { readonly feature: string; readonly importance: number }[];
  readonly model: {
    readonly path: string;
    readonly sidecarPath: string;
    readonly reportPath: string;
    readonly bytes: number;
    readonly sha256: string;
    readonly trees: number;
    readonly nodes: number;
  };
  /** wall-clock seconds per phase */
  readonly seconds: {
    readonly load: number;
    readonly split: number;
    readonly train: number;
    readonly evaluate: number;
    /** building the ONNX graph and its metadata */
    readonly export: number;
    /** start to just before the files are written (writing takes milliseconds) */
    readonly total: number;
  };
}

/** The report of a regression: the same data, split, model and timing facts, and a regressor's scores. */
export interface RegressionTrainingReport
  extends Omit<TrainingReport, 'task' | 'classCounts' | 'classes' | 'heldOut'> {
  readonly task: 'regression';
  readonly target: {
    readonly column: string;
    /** '' when unknown */
    readonly unit: string;
    /** --label-max, or null when the target was not clipped */
    readonly labelMax: number | null;
    /** rows whose target was above labelMax and clipped to it */
    readonly clippedRows: number;
    /** what the error bands are shares of: labelMax, else the largest target */
    readonly bandMax: number;
    readonly train: TargetSummary;
    readonly test: TargetSummary;
  };
  readonly heldOut: {
    readonly rmse: number;
    readonly mae: number;
    readonly r2: number;
    /** mean of predicted − true: positive overestimates (late, for RUL) */
    readonly bias: number;
    /**
     * Remaining-useful-life targets (in h or cycles): the PHM08 score summed over held-out rows, late
     * predictions costing more than early ones; null for other targets
     */
    readonly asymmetricScore: number | null;
    /** the rows in each band of the true target */
    readonly bands: readonly BandScores[];
  };
}

export interface TargetSummary {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

export function summarizeTarget(values: ArrayLike<number>): TargetSummary {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / values.length };
}

/** Pump states read best by severity; any other label set keeps the model's (sorted) order. */
export function displayOrder(classes: readonly string[]): readonly string[] {
  const states: readonly string[] = PUMP_STATES;
  if (!classes.every((c) => states.includes(c))) return classes;
  return [...classes].sort((a, b) => states.indexOf(a) - states.indexOf(b));
}

export function confusionMatrix(
  truth: readonly string[],
  predicted: readonly string[],
  classes: readonly string[],
): ConfusionMatrix {
  const index = new Map(classes.map((c, i) => [c, i]));
  const counts = classes.map(() => classes.map(() => 0));
  for (let i = 0; i < truth.length; i++) {
    const t = index.get(truth[i]!);
    const p = index.get(predicted[i]!);
    if (t !== undefined && p !== undefined) counts[t]![p]! += 1;
  }
  return { classes, counts };
}

/** Ascending row numbers as [first, last] runs of consecutive rows. */
export function rowRanges(rows: ArrayLike<number>): [number, number][] {
  const ranges: [number, number][] = [];
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const last = ranges[ranges.length - 1];
    if (last && row === last[1] + 1) last[1] = row;
    else ranges.push([row, row]);
  }
  return ranges;
}

const TOP_FEATURES = 10;
/** held-out row ranges shown in the text report; the JSON has them all */
const SHOWN_RANGES = 8;

export function formatReport(r: TrainingReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const grouping = r.data.groupColumn === null ? 'split by row' : `split by ${r.data.groupColumn}`;
  const classes = r.heldOut.confusionMatrix.classes;

  const lines = [
    `Trained on ${r.data.file}: ${int(r.data.rows)} rows, ${r.data.features.length} features, label ${r.data.labelColumn}, ${grouping}`,
    ...splitLines(r, 'stratified by class'),
    `  classes   ${classes.map((c) => `${c} ${int(r.classCounts.train[c] ?? 0)}/${int(r.classCounts.test[c] ?? 0)}`).join(', ')}  (train/held out)`,
    '',
    `Held-out accuracy ${pct(r.heldOut.accuracy)}, macro-F1 ${r.heldOut.macroF1.toFixed(4)}`,
    '',
    table(
      ['class', 'precision', 'recall', 'F1', 'support'],
      classes.map((c) => {
        const s = r.heldOut.perClass[c]!;
        return [c, s.precision.toFixed(4), s.recall.toFixed(4), s.f1.toFixed(4), int(s.support)];
      }),
    ),
    '',
    'Confusion matrix (rows: true class, columns: predicted)',
    table(
      ['', ...classes],
      classes.map((c, t) => [c, ...r.heldOut.confusionMatrix.counts[t]!.map(int)]),
    ),
    '',
    ...footerLines(r, 'impurity'),
  ];
  return lines.join('\n');
}

export function formatRegressionReport(r: RegressionTrainingReport): string {
  const { target, heldOut } = r;
  const unit = target.unit === '' ? '' : ` ${target.unit}`;
  const num = (x: number) => `${sig(x)}${unit}`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${num(x)}`;
  const grouping = r.data.groupColumn === null ? 'split by row' : `split by ${r.data.groupColumn}`;
  const clip =
    target.labelMax === null
      ? 'not clipped'
      : `clipped at ${num(target.labelMax)} (${int(target.clippedRows)} rows, ${((100 * target.clippedRows) / r.data.rows).toFixed(1)} %)`;
  const range = (t: TargetSummary) => `mean ${num(t.mean)}, range ${sig(t.min)}–${num(t.max)}`;
  const score = heldOut.asymmetricScore;
  const bandOf =
    target.labelMax === null
      ? `the largest ${target.column}, ${num(target.bandMax)}`
      : `--label-max ${num(target.bandMax)}`;
  const lines = [
    `Trained on ${r.data.file}: ${int(r.data.rows)} rows, ${r.data.features.length} features, target ${target.column}${target.unit === '' ? '' : ` (${target.unit})`}, ${clip}, ${grouping}`,
    ...splitLines(r, 'unstratified'),
    `  target    train ${range(target.train)}; held out ${range(target.test)}`,
    '',
    `Held-out RMSE ${num(heldOut.rmse)}, MAE ${num(heldOut.mae)}, R² ${heldOut.r2.toFixed(4)}, bias ${signed(heldOut.bias)}`,
    ...(score === null
      ? []
      : [
          `Asymmetric RUL score ${sig(score)} over ${int(r.split.rows.test)} rows (${sig(score / r.split.rows.test)} per row; late predictions cost more)`,
        ]),
    '',
    `Error by band of the true ${target.column}, as shares of ${bandOf}`,
    table(
      ['band', 'rows', 'RMSE', 'MAE', 'bias'],
      heldOut.bands.map((b) =>
        b.count === 0
          ? [b.band, '0', '', '', '']
          : [b.band, int(b.count), sig(b.rmse), sig(b.mae), `${b.bias >= 0 ? '+' : ''}${sig(b.bias)}`],
      ),
    ),
    '',
    ...footerLines(r, 'variance'),
  ];
  return lines.join('\n');
}

const int = (x: number) => x.toLocaleString('en-US');
/** four significant digits, whatever the target's scale (the hours of a STRESS-clock life are ~0.04) */
const sig = (x: number) => String(Number(x.toPrecision(4)));
const seconds = (x: number) => `${x.toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

type CommonReport = Pick<TrainingReport, 'data' | 'split' | 'featureImportances' | 'model' | 'seconds'>;

/** The training and held-out sets: rows, groups, and the held-out rows when chosen one by one. */
function splitLines(r: CommonReport, stratification: string): string[] {
  const groups = (n: number) =>
    r.data.groupColumn === null ? '' : ` (${int(n)} ${r.data.groupColumn} values)`;
  const ranges = r.split.testRowRanges;
  const heldOutRows = ranges
    ? [
        `            chosen row by row, ${stratification}: rows ${ranges
          .slice(0, SHOWN_RANGES)
          .map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`))
          .join(', ')}${ranges.length > SHOWN_RANGES ? ', …' : ''}`,
        `            (0-based, the first row after the header is 0; all ${int(ranges.length)} ranges are in the report's split.testRowRanges)`,
      ]
    : [];

  return [
    `  train     ${int(r.split.rows.train)} rows${groups(r.split.groups.train)}`,
    `  held out  ${int(r.split.rows.test)} rows${groups(r.split.groups.test)}, test fraction ${r.split.testFraction}, seed ${r.split.seed}`,
    ...heldOutRows,
  ];
}

/** Feature importances, the model's files and size, and the time taken. */
function footerLines(r: CommonReport, impurity: string): string[] {
  return [
    `Top features (mean decrease in ${impurity})`,
    table(
      ['feature', 'importance'],
      r.featureImportances.slice(0, TOP_FEATURES).map((f) => [f.feature, f.importance.toFixed(4)]),
    ),
    '',
    `Model     ${r.model.path} (${mb(r.model.bytes)}, ${int(r.model.trees)} trees, ${int(r.model.nodes)} nodes)`,
    `          sidecar ${r.model.sidecarPath}, report ${r.model.reportPath}`,
    `Time      ${seconds(r.seconds.total)} (load ${seconds(r.seconds.load)}, split ${seconds(r.seconds.split)}, ` +
      `train ${seconds(r.seconds.train)}, evaluate ${seconds(r.seconds.evaluate)}, export ${seconds(r.seconds.export)})`,
  ];
}

/** Left-aligned first column, right-aligned numbers. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .map((l) => `  ${l}`)
    .join('\n');
}
