/** What every training run does on its way out: the trainer's version, timing, and the files put in place. */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FEATURES } from '@pdm/features';
import {
  type DecisionTree,
  ForestError,
  type ForestOptions,
  type ModelMetadata,
  sidecarPathFor,
  writeModelFiles,
} from '@pdm/forest';
import { TrainerError } from './errors.ts';
import type { GroupSplit } from './group-split.ts';
import { NONE, type TrainerConfig } from './options.ts';
import type { Progress } from './progress.ts';
import { rowRanges, type TrainingReport } from './report.ts';
import type { TrainingTable } from './table.ts';

/** `models/pump-state.onnx` → `models/pump-state.report.json` */
export function reportPathFor(onnxPath: string): string {
  return onnxPath.replace(/\.onnx$/, '.report.json');
}

/** The forest's hyperparameters from the flags, with progress per tree. */
export function forestOptions(settings: TrainerConfig, progress: Progress): ForestOptions {
  return {
    nTrees: settings.trees,
    maxDepth: settings.maxDepth ?? null,
    minSamplesLeaf: settings.minSamplesLeaf,
    maxFeatures: settings.maxFeatures,
    seed: settings.seed,
    onTreeGrown: (done, total) => progress.update(`growing trees: ${done}/${total}`),
  };
}

/** Metadata every model carries, whatever its task; the task adds its metrics and target. */
export function commonMetadata(
  settings: TrainerConfig,
  table: TrainingTable,
  split: GroupSplit,
  facts: { createdAt: string; trainingDataSha256: string; metrics: Record<string, number> },
): ModelMetadata {
  const units = new Map(FEATURES.map((f) => [f.name, f.unit]));
  return {
    featureNames: settings.features,
    featureUnits: settings.features.map((name) => units.get(name) ?? ''),
    trainingDataSha256: facts.trainingDataSha256,
    metrics: facts.metrics,
    createdAt: facts.createdAt,
    trainerVersion: trainerVersion(),
    rows: { train: split.train.length, test: split.test.length },
    notes: {
      labelColumn: settings.label,
      groupColumn: settings.group,
      testFraction: String(settings.testFraction),
      splitSeed: String(settings.seed),
      dataFile: basename(settings.data),
      dataFileSha256: table.fileSha256,
    },
  };
}

/** The report's feature importances (highest first) and the facts about the written model. */
export function describeModel(
  settings: TrainerConfig,
  onnx: Uint8Array,
  forest: { readonly trees: readonly DecisionTree[]; readonly featureImportances: Float64Array },
): Pick<TrainingReport, 'featureImportances' | 'model'> {
  return {
    featureImportances: settings.features
      .map((feature, f) => ({ feature, importance: forest.featureImportances[f]! }))
      .sort((a, b) => b.importance - a.importance),
    model: {
      path: settings.out,
      sidecarPath: sidecarPathFor(settings.out),
      reportPath: reportPathFor(settings.out),
      bytes: onnx.length,
      sha256: createHash('sha256').update(onnx).digest('hex'),
      trees: forest.trees.length,
      nodes: forest.trees.reduce((n, t) => n + t.feature.length, 0),
    },
  };
}

/** The report's facts about the data and the held-out split, the same for every task. */
export function describeData(
  settings: TrainerConfig,
  table: TrainingTable,
  split: GroupSplit,
): Pick<TrainingReport, 'data' | 'split'> {
  const groupNames = table.groups?.names;
  return {
    data: {
      file: basename(settings.data),
      sha256: table.fileSha256,
      rows: table.x.rows,
      labelColumn: settings.label,
      groupColumn: settings.group === NONE ? null : settings.group,
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
  };
}

/** The version in services/trainer/package.json, written into every model. */
export function trainerVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/**
 * Model, sidecar and report, each put in place by rename. The report is staged first and renamed last,
 * right after the model (the commit point of writeModelFiles), so a failure at any step leaves the
 * previous three files as they were, and a reader never sees a report for a model that is not there.
 */
export async function writeAll(onnxPath: string, onnx: Uint8Array, reportJson: string): Promise<void> {
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

export function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const seconds = (now - last) / 1000;
    last = now;
    return seconds;
  };
}
