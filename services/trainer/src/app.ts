/**
 * Wires a training run: CSV → group split → forest → held-out scores → ONNX, sidecar and report on disk. A
 * classification runs here; a regression in regression.ts.
 */
import { basename } from 'node:path';
import { classificationReport, exportOnnx, ForestModel, hashTrainingData, selectRows } from '@pdm/forest';
import { TrainerError } from './errors.ts';
import { groupSplit } from './group-split.ts';
import { NONE, type TrainerConfig } from './options.ts';
import { commonMetadata, describeData, describeModel, forestOptions, stopwatch, writeAll } from './output.ts';
import type { Progress } from './progress.ts';
import { trainRegressor } from './regression.ts';
import {
  confusionMatrix,
  displayOrder,
  formatReport,
  type RegressionTrainingReport,
  type TrainingReport,
} from './report.ts';
import { readTrainingTable } from './table.ts';

export { reportPathFor, trainerVersion } from './output.ts';

export interface TrainerIo {
  readonly progress: Progress;
  /** the model's created-at time */
  readonly now?: () => Date;
}

export interface TrainingRun {
  readonly report: TrainingReport | RegressionTrainingReport;
  /** the report as text, for stdout */
  readonly text: string;
}

/**
 * Runs one training. Every expected failure is a TrainerError thrown before anything is written, or
 * (code 'write-failed') while writing, in which case the previous model, sidecar and report are untouched.
 */
export async function runTrainer(settings: TrainerConfig, io: TrainerIo): Promise<TrainingRun> {
  if (settings.task === 'regression') return trainRegressor(settings, io);
  const { progress } = io;
  const started = performance.now();
  const lap = stopwatch();
  const groupColumn = settings.group === NONE ? null : settings.group;
  const file = basename(settings.data);

  const table = await readTrainingTable(
    settings.data,
    { features: settings.features, label: settings.label, group: groupColumn },
    {
      onProgress: (read, total) =>
        progress.update(`reading ${file}: ${total > 0 ? Math.floor((100 * read) / total) : 100} %`),
    },
  );
  const classNames = table.labels.names;
  if (classNames.length < 2) {
    throw new TrainerError(
      'single-class',
      `column ${settings.label} of ${file} has only one class (${JSON.stringify(classNames[0])}) in ` +
        `${table.x.rows} rows: a classifier needs at least two. Export data that covers more states, or pick another --label.`,
    );
  }
  const loadSeconds = lap();

  progress.update('splitting by group');
  const split = groupSplit({
    labels: table.labels.codes,
    classNames,
    groups: table.groups?.codes ?? null,
    groupNames: table.groups?.names ?? null,
    groupColumn: groupColumn ?? 'row',
    testFraction: settings.testFraction,
    seed: settings.seed,
  });
  const labelOf = (i: number) => classNames[table.labels.codes[i]!]!;
  const xTrain = selectRows(table.x, split.train);
  const yTrain = Array.from(split.train, labelOf);
  const xTest = selectRows(table.x, split.test);
  const yTest = Array.from(split.test, labelOf);
  const splitSeconds = lap();

  const model = ForestModel.train(xTrain, yTrain, forestOptions(settings, progress));
  const trainSeconds = lap();

  progress.update('scoring the held-out pumps');
  const predicted = model.predict(xTest);
  const scores = classificationReport(yTest, predicted, model.classes);
  const order = displayOrder(model.classes);
  const evaluateSeconds = lap();

  progress.update('writing the model');
  const createdAt = (io.now?.() ?? new Date()).toISOString();
  const metadata = commonMetadata(settings, table, split, {
    createdAt,
    trainingDataSha256: hashTrainingData(xTrain, yTrain),
    metrics: {
      accuracy: scores.accuracy,
      macroF1: scores.macroF1,
      ...Object.fromEntries(order.map((c) => [`f1_${c}`, scores.perClass[c]!.f1])),
    },
  });
  const onnx = exportOnnx(model, metadata);

  const countClasses = (rows: Int32Array) => {
    const counts: Record<string, number> = Object.fromEntries(order.map((c) => [c, 0]));
    for (const i of rows) counts[labelOf(i)]! += 1;
    return counts;
  };
  const report = {
    task: 'classification',
    createdAt,
    trainerVersion: metadata.trainerVersion,
    ...describeData(settings, table, split),
    classCounts: { train: countClasses(split.train), test: countClasses(split.test) },
    classes: model.classes,
    hyperparameters: model.forest.params,
    heldOut: {
      accuracy: scores.accuracy,
      macroF1: scores.macroF1,
      perClass: Object.fromEntries(order.map((c) => [c, scores.perClass[c]!])),
      confusionMatrix: confusionMatrix(yTest, predicted, order),
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
  } satisfies TrainingReport;

  await writeAll(settings.out, onnx, `${JSON.stringify(report, null, 2)}\n`);
  progress.done();
  return { report, text: formatReport(report) };
}
