/**
 * Wires a training run: CSV → group split → forest → held-out scores → ONNX, sidecar and report on disk. A
 * classification runs here; a regression in regression.ts.
 */
import { basename } from 'node:path';
import { classificationReport, exportOnnx, ForestModel, hashTrainingData, selectRows } from '@pdm/forest';
import { TrainerError } from './errors.ts';
import type { TrainerConfig } from './options.ts';
import {
  commonMetadata,
  describeData,
  describeModel,
  forestOptions,
  loadTable,
  phaseSeconds,
  splitTable,
  stopwatch,
  writeAll,
} from './output.ts';
import type { Progress } from './progress.ts';
import { trainRegressor } from './regression.ts';
import {
  confusionMatrix,
  displayOrder,
  formatReport,
  type RegressionTrainingReport,
  type TrainingReport,
} from './report.ts';

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
  const file = basename(settings.data);

  const table = await loadTable(settings, 'class', progress);
  const classNames = table.labels.names;
  if (classNames.length < 2) {
    throw new TrainerError(
      'single-class',
      `column ${settings.label} of ${file} has only one class (${JSON.stringify(classNames[0])}) in ` +
        `${table.x.rows} rows: a classifier needs at least two. Export data that covers more states, or pick another --label.`,
    );
  }
  const loadSeconds = lap();

  const split = splitTable(settings, table, progress);
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
    seconds: phaseSeconds(
      { load: loadSeconds, split: splitSeconds, train: trainSeconds, evaluate: evaluateSeconds },
      lap,
      started,
    ),
  } satisfies TrainingReport;

  await writeAll(settings.out, onnx, `${JSON.stringify(report, null, 2)}\n`);
  progress.done();
  return { report, text: formatReport(report) };
}
