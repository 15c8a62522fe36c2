/** Wires a training run: CSV → group split → forest → held-out scores → ONNX, sidecar and report on disk. */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FEATURES } from '@pdm/features';
import {
  classificationReport,
  exportOnnx,
  ForestError,
  ForestModel,
  hashTrainingData,
  type ModelMetadata,
  selectRows,
  sidecarPathFor,
  writeModelFiles,
} from '@pdm/forest';
import { TrainerError } from './errors.ts';
import { groupSplit } from './group-split.ts';
import { NONE, type TrainerConfig } from './options.ts';
import type { Progress } from './progress.ts';
import { confusionMatrix, displayOrder, formatReport, rowRanges, type TrainingReport } from './report.ts';
import { readTrainingTable } from './table.ts';

export interface TrainerIo {
  readonly progress: Progress;
  /** the model's created-at time */
  readonly now?: () => Date;
}

export interface TrainingRun {
  readonly report: TrainingReport;
  /** the report as text, for stdout */
  readonly text: string;
}

/** `models/pump-state.onnx` → `models/pump-state.report.json` */
export function reportPathFor(onnxPath: string): string {
  return onnxPath.replace(/\.onnx$/, '.report.json');
}

/** The version in services/trainer/package.json, written into every model. */
export function trainerVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Runs one training. Every expected failure is a TrainerError thrown before anything is written, or
 * (code 'write-failed') while writing, in which case the previous model, sidecar and report are untouched.
 */
export async function runTrainer(settings: TrainerConfig, io: TrainerIo): Promise<TrainingRun> {
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

  const model = ForestModel.train(xTrain, yTrain, {
    nTrees: settings.trees,
    maxDepth: settings.maxDepth ?? null,
    minSamplesLeaf: settings.minSamplesLeaf,
    maxFeatures: settings.maxFeatures,
    seed: settings.seed,
    onTreeGrown: (done, total) => progress.update(`growing trees: ${done}/${total}`),
  });
  const trainSeconds = lap();

  progress.update('scoring the held-out pumps');
  const predicted = model.predict(xTest);
  const scores = classificationReport(yTest, predicted, model.classes);
  const order = displayOrder(model.classes);
  const evaluateSeconds = lap();

  progress.update('writing the model');
  const createdAt = (io.now?.() ?? new Date()).toISOString();
  const version = trainerVersion();
  const units = new Map(FEATURES.map((f) => [f.name, f.unit]));
  const metadata: ModelMetadata = {
    featureNames: settings.features,
    featureUnits: settings.features.map((name) => units.get(name) ?? ''),
    trainingDataSha256: hashTrainingData(xTrain, yTrain),
    metrics: {
      accuracy: scores.accuracy,
      macroF1: scores.macroF1,
      ...Object.fromEntries(order.map((c) => [`f1_${c}`, scores.perClass[c]!.f1])),
    },
    createdAt,
    trainerVersion: version,
    rows: { train: split.train.length, test: split.test.length },
    notes: {
      labelColumn: settings.label,
      groupColumn: groupColumn ?? NONE,
      testFraction: String(settings.testFraction),
      splitSeed: String(settings.seed),
      dataFile: file,
      dataFileSha256: table.fileSha256,
    },
  };
  const onnx = exportOnnx(model, metadata);

  const importances = model.forest.featureImportances;
  const countClasses = (rows: Int32Array) => {
    const counts: Record<string, number> = Object.fromEntries(order.map((c) => [c, 0]));
    for (const i of rows) counts[labelOf(i)]! += 1;
    return counts;
  };
  const sidecarPath = sidecarPathFor(settings.out);
  const reportPath = reportPathFor(settings.out);
  const groupNames = table.groups?.names;
  const report = {
    createdAt,
    trainerVersion: version,
    data: {
      file,
      sha256: table.fileSha256,
      rows: table.x.rows,
      labelColumn: settings.label,
      groupColumn,
      features: settings.features,
    },
    split: {
      method: groupNames ? 'by-group' : 'by-row',
      testFraction: settings.testFraction,
      seed: settings.seed,
      rows: { train: split.train.length, test: split.test.length },
      groups: { train: split.trainGroupCount, test: split.testGroups.length },
      ...(groupNames
        ? { testGroups: Array.from(split.testGroups, (g) => groupNames[g]!).sort() }
        : { testRowRanges: rowRanges(split.test) }),
    },
    classCounts: { train: countClasses(split.train), test: countClasses(split.test) },
    classes: model.classes,
    hyperparameters: model.forest.params,
    heldOut: {
      accuracy: scores.accuracy,
      macroF1: scores.macroF1,
      perClass: Object.fromEntries(order.map((c) => [c, scores.perClass[c]!])),
      confusionMatrix: confusionMatrix(yTest, predicted, order),
    },
    featureImportances: settings.features
      .map((feature, f) => ({ feature, importance: importances[f]! }))
      .sort((a, b) => b.importance - a.importance),
    model: {
      path: settings.out,
      sidecarPath,
      reportPath,
      bytes: onnx.length,
      sha256: createHash('sha256').update(onnx).digest('hex'),
      trees: model.forest.trees.length,
      nodes: model.forest.trees.reduce((n, t) => n + t.feature.length, 0),
    },
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

/**
 * Model, sidecar and report, each put in place by rename. The report is staged first and renamed last,
 * right after the model (the commit point of writeModelFiles), so a failure at any step leaves the
 * previous three files as they were, and a reader never sees a report for a model that is not there.
 */
async function writeAll(onnxPath: string, onnx: Uint8Array, reportJson: string): Promise<void> {
  const reportPath = reportPathFor(onnxPath);
  const staged = join(dirname(reportPath), `.${basename(reportPath)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(onnxPath), { recursive: true });
    const handle = await open(staged, 'wx');
    try {
      await handle.writeFile(reportJson);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await writeModelFiles(onnxPath, onnx);
    await rename(staged, reportPath);
  } catch (err) {
    await rm(staged, { force: true });
    const reason =
      err instanceof ForestError && err.cause instanceof Error ? err.cause.message : (err as Error).message;
    throw new TrainerError('write-failed', `could not write the model to ${onnxPath}: ${reason}`, {
      cause: err,
    });
  }
}

function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const seconds = (now - last) / 1000;
    last = now;
    return seconds;
  };
}
