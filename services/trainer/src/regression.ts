/**
 * A regression run: CSV with a numeric target (rul_h, health_pct, …) → group split → forest regressor →
 * held-out RMSE, MAE, R², error by band and, for a remaining-useful-life target, the asymmetric score →
 * ONNX, sidecar and report on disk.
 */
import { basename } from 'node:path';
import {
  asymmetricRulScore,
  errorByBand,
  exportOnnx,
  hashTrainingData,
  type RegressionMetadata,
  RegressionModel,
  regressionScores,
  selectRows,
} from '@pdm/forest';
import type { TrainerIo, TrainingRun } from './app.ts';
import { TrainerError } from './errors.ts';
import { groupSplit } from './group-split.ts';
import { NONE, type TrainerConfig } from './options.ts';
import { commonMetadata, describeData, describeModel, forestOptions, stopwatch, writeAll } from './output.ts';
import { formatRegressionReport, type RegressionTrainingReport, summarizeTarget } from './report.ts';
import { readTrainingTable } from './table.ts';

/**
 * Units in which a target is a remaining useful life, so the asymmetric score applies: its constants (13
 * and 10) were set for cycles in the PHM08 challenge, and read as hours for the simulator's rul_h.
 */
const RUL_UNITS: ReadonlySet<string> = new Set(['h', 'cycle', 'cycles']);

export async function trainRegressor(settings: TrainerConfig, io: TrainerIo): Promise<TrainingRun> {
  const { progress } = io;
  const started = performance.now();
  const lap = stopwatch();
  const groupColumn = settings.group === NONE ? null : settings.group;
  const file = basename(settings.data);

  const table = await readTrainingTable(
    settings.data,
    { features: settings.features, label: settings.label, labelType: 'number', group: groupColumn },
    {
      onProgress: (read, total) =>
        progress.update(`reading ${file}: ${total > 0 ? Math.floor((100 * read) / total) : 100} %`),
    },
  );
  const raw = table.targets!;
  const labelMax = settings.labelMax ?? null;
  const { targets, clippedRows } = clip(raw, labelMax);
  checkNotConstant(targets, raw, settings, file);
  const loadSeconds = lap();

  progress.update('splitting by group');
  // one class: the split balances only row counts; every pump's life covers the whole range anyway
  const split = groupSplit({
    labels: table.labels.codes,
    classNames: table.labels.names,
    groups: table.groups?.codes ?? null,
    groupNames: table.groups?.names ?? null,
    groupColumn: groupColumn ?? 'row',
    testFraction: settings.testFraction,
    seed: settings.seed,
  });
  const xTrain = selectRows(table.x, split.train);
  const yTrain = Float64Array.from(split.train, (i) => targets[i]!);
  const xTest = selectRows(table.x, split.test);
  const yTest = Float64Array.from(split.test, (i) => targets[i]!);
  const splitSeconds = lap();

  const model = RegressionModel.train(xTrain, yTrain, forestOptions(settings, progress));
  const trainSeconds = lap();

  progress.update('scoring the held-out pumps');
  const predicted = model.predict(xTest);
  const scores = regressionScores(yTest, predicted);
  const bandMax = labelMax ?? summarizeTarget(targets).max;
  const bands = errorByBand(yTest, predicted, bandMax);
  const asymmetricScore = RUL_UNITS.has(settings.targetUnit) ? asymmetricRulScore(yTest, predicted) : null;
  const evaluateSeconds = lap();

  progress.update('writing the model');
  const createdAt = (io.now?.() ?? new Date()).toISOString();
  const metrics: Record<string, number> = {
    rmse: scores.rmse,
    mae: scores.mae,
    r2: scores.r2,
    bias: scores.bias,
    ...(asymmetricScore === null ? {} : { asymmetricScore }),
  };
  const metadata: RegressionMetadata = {
    ...commonMetadata(settings, table, split, {
      createdAt,
      trainingDataSha256: hashTrainingData(xTrain, Array.from(yTrain)),
      metrics,
    }),
    target: settings.label,
    targetUnit: settings.targetUnit,
    labelMax,
  };
  const onnx = exportOnnx(model, metadata);

  const report = {
    task: 'regression',
    createdAt,
    trainerVersion: metadata.trainerVersion,
    ...describeData(settings, table, split),
    target: {
      column: settings.label,
      unit: settings.targetUnit,
      labelMax,
      clippedRows,
      bandMax,
      train: summarizeTarget(yTrain),
      test: summarizeTarget(yTest),
    },
    hyperparameters: model.forest.params,
    heldOut: {
      rmse: scores.rmse,
      mae: scores.mae,
      r2: scores.r2,
      bias: scores.bias,
      asymmetricScore,
      bands,
    },
    ...describeModel(settings, onnx, model.forest),
    seconds: {
      load: loadSeconds,
      split: splitSeconds,
      train: trainSeconds,
      evaluate: evaluateSeconds,
      export: lap(),
      total: (performance.now() - started) / 1000,
    },
  } satisfies RegressionTrainingReport;

  await writeAll(settings.out, onnx, `${JSON.stringify(report, null, 2)}\n`);
  progress.done();
  return { report, text: formatRegressionReport(report) };
}

/** The piecewise-linear target of the RUL literature: a value above labelMax counts as labelMax. */
function clip(raw: Float64Array, labelMax: number | null): { targets: Float64Array; clippedRows: number } {
  if (labelMax === null) return { targets: raw, clippedRows: 0 };
  let clippedRows = 0;
  const targets = raw.map((v) => {
    if (v <= labelMax) return v;
    clippedRows++;
    return labelMax;
  });
  return { targets, clippedRows };
}

function checkNotConstant(
  targets: Float64Array,
  raw: Float64Array,
  settings: TrainerConfig,
  file: string,
): void {
  const first = targets[0]!;
  if (!targets.every((v) => v === first)) return;
  const column = settings.label;
  const rows = targets.length;
  const allRaw = raw.every((v) => v === raw[0]);
  throw new TrainerError(
    'constant-target',
    allRaw
      ? `column ${column} of ${file} is ${first} in all ${rows} rows: a regression needs a target that varies. ` +
          'Export data that covers more of the pumps’ lives, or pick another --label.'
      : `column ${column} of ${file} is at least --label-max ${settings.labelMax} in all ${rows} rows, so the ` +
          'clipped target is the same everywhere. Raise --label-max or leave it out.',
  );
}
