/** What a training run reports: the JSON beside the model, and the same facts as text for a person. */

import { PUMP_STATES } from '@pdm/contract';
import type { ClassScores, ForestParams } from '@pdm/forest';

export interface ConfusionMatrix {
  /** row and column order */
  readonly classes: readonly string[];
  /** counts[t][p]: held-out rows of true class classes[t] predicted as classes[p] */
  readonly counts: readonly (readonly number[])[];
}

export interface TrainingReport {
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
  const int = (x: number) => x.toLocaleString('en-US');
  const seconds = (x: number) => `${x.toFixed(1)} s`;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
  const grouping = r.data.groupColumn === null ? 'split by row' : `split by ${r.data.groupColumn}`;
  const groups = (n: number) =>
    r.data.groupColumn === null ? '' : ` (${int(n)} ${r.data.groupColumn} values)`;
  const classes = r.heldOut.confusionMatrix.classes;
  const ranges = r.split.testRowRanges;
  const heldOutRows = ranges
    ? [
        `            chosen row by row, stratified by class: rows ${ranges
          .slice(0, SHOWN_RANGES)
          .map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`))
          .join(', ')}${ranges.length > SHOWN_RANGES ? ', …' : ''}`,
        `            (0-based, the first row after the header is 0; all ${int(ranges.length)} ranges are in the report's split.testRowRanges)`,
      ]
    : [];

  const lines = [
    `Trained on ${r.data.file}: ${int(r.data.rows)} rows, ${r.data.features.length} features, label ${r.data.labelColumn}, ${grouping}`,
    `  train     ${int(r.split.rows.train)} rows${groups(r.split.groups.train)}`,
    `  held out  ${int(r.split.rows.test)} rows${groups(r.split.groups.test)}, test fraction ${r.split.testFraction}, seed ${r.split.seed}`,
    ...heldOutRows,
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
    `Top features (mean decrease in impurity)`,
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
  return lines.join('\n');
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
