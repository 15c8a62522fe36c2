import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FEATURE_NAMES, FEATURES } from '@pdm/features';
import {
  ForestModel,
  hashTrainingData,
  ONNX_INPUT,
  ONNX_OUTPUT_LABEL,
  ONNX_OUTPUT_PROBABILITY,
  ONNX_OUTPUT_VARIABLE,
  propsToCard,
  RegressionModel,
  readOnnxMetadata,
  regressionScores,
  selectRows,
} from '@pdm/forest';
import { startService } from '@pdm/testkit';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainerVersion } from './app.ts';
import { groupSplit } from './group-split.ts';
import type { RegressionTrainingReport, TrainingReport } from './report.ts';
import { confusionMatrix } from './report.ts';
import { readTrainingTable } from './table.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * Training data made the way the shipped model's is: `pnpm training-simulator --stdout` piped into
 * `pnpm export-training-data --source jsonl --input -`. ~40 STRESS-clock lifecycles, balanced: about
 * 2,500 rows, trained in well under a second.
 */
async function exportedCsv(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pdm-trainer-data-'));
  dirs.push(dir);
  const fleetFlags = '--pumps 40 --seed 5 --weibull-eta 0.0469 --interval-s 1 --post-failure-samples 15';
  const simulator = startService('training-simulator', [
    '--stdout',
    ...fleetFlags.split(' '),
    '--log-level',
    'warn',
  ]);
  const exporter = startService(
    'export-training-data',
    ['--source', 'jsonl', '--input', '-', '--out', 'data.csv', '--log-level', 'warn'],
    {},
    { cwd: dir, stdin: 'pipe' },
  );
  simulator.child.stdout?.pipe(exporter.child.stdin as NodeJS.WritableStream);
  const codes = await Promise.all([simulator.exited, exporter.exited]);
  if (codes.some((code) => code !== 0)) {
    throw new Error(`no training data (exit codes ${codes}):\n${simulator.stderr()}\n${exporter.stderr()}`);
  }
  return readFile(join(dir, 'data.csv'), 'utf8');
}

const csv = await exportedCsv();
const csvLines = csv.trimEnd().split('\n');
const header = csvLines[0]!;
const FAST = ['--trees', '10', '--seed', '3'];

/** A fresh working directory holding `files`. */
async function workdir(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pdm-trainer-it-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

async function train(cwd: string, args: readonly string[]) {
  const service = startService('trainer', args, {}, { cwd });
  const code = await service.exited;
  return { code, stdout: service.stdout(), stderr: service.stderr() };
}

async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

describe('pnpm train on simulator data', () => {
  let cwd: string;
  let run: Awaited<ReturnType<typeof train>>;
  beforeAll(async () => {
    cwd = await workdir({ 'data.csv': csv });
    run = await train(cwd, ['--data', 'data.csv', ...FAST, '--out', 'models/pump.onnx']);
  });

  it('writes model, sidecar and report into a new folder, prints the report, and keeps stderr quiet', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(await filesIn(join(cwd, 'models'))).toEqual(['pump.json', 'pump.onnx', 'pump.report.json']);
    expect(run.stdout).toMatch(/Held-out accuracy \d+\.\d\d %, macro-F1 0\.\d{4}/);
    expect(run.stdout).toContain('Confusion matrix (rows: true class, columns: predicted)');
    expect(run.stdout).toContain('Top features (mean decrease in impurity)');
    expect(run.stdout).toMatch(/train\s+[\d,]+ rows \(32 pump_id values\)/);
    // stderr is not a terminal here, so no progress
    expect(run.stderr).toBe('');
  });

  it('describes the model in its metadata: features, units, classes, data hash, metrics, version, columns', async () => {
    const onnx = await readFile(join(cwd, 'models/pump.onnx'));
    const card = propsToCard(readOnnxMetadata(onnx));
    const report = JSON.parse(await readFile(join(cwd, 'models/pump.report.json'), 'utf8')) as TrainingReport;
    const sidecar = JSON.parse(await readFile(join(cwd, 'models/pump.json'), 'utf8'));
    expect(card.featureNames).toEqual(FEATURE_NAMES);
    expect(card.featureUnits).toEqual(FEATURES.map((f) => f.unit));
    expect(card.classes).toEqual(['BROKEN', 'FAULTY', 'HEALTHY', 'WARNING']);
    expect(card.trainerVersion).toBe(trainerVersion());
    expect(card.metrics).toMatchObject({
      accuracy: report.heldOut.accuracy,
      macroF1: report.heldOut.macroF1,
    });
    expect(card.hyperparameters).toMatchObject({ nTrees: 10, seed: 3, minSamplesLeaf: 5, maxDepth: null });
    expect(card.notes).toMatchObject({ labelColumn: 'state', groupColumn: 'pump_id', dataFile: 'data.csv' });
    expect(card.rows).toEqual(report.split.rows);
    expect(Date.parse(card.createdAt)).not.toBeNaN();
    expect(sidecar).toMatchObject({ ...card, onnx: { file: 'pump.onnx', bytes: onnx.length } });
    expect(report.model.sha256).toBe(sidecar.onnx.sha256);
  });

  it('exports an ONNX model that labels the held-out pumps exactly as the report and the in-memory model do', async () => {
    const report = JSON.parse(await readFile(join(cwd, 'models/pump.report.json'), 'utf8')) as TrainingReport;
    const onnx = await readFile(join(cwd, 'models/pump.onnx'));
    const card = propsToCard(readOnnxMetadata(onnx));

    const table = await readTrainingTable(join(cwd, 'data.csv'), {
      features: FEATURE_NAMES,
      label: 'state',
      group: 'pump_id',
    });
    const split = groupSplit({
      labels: table.labels.codes,
      classNames: table.labels.names,
      groups: table.groups!.codes,
      groupNames: table.groups!.names,
      groupColumn: 'pump_id',
      testFraction: 0.2,
      seed: 3,
    });
    const names = table.groups!.names;
    expect(Array.from(split.testGroups, (g) => names[g]).sort()).toEqual(report.split.testGroups);
    const labelOf = (i: number) => table.labels.names[table.labels.codes[i]!]!;
    const xTrain = selectRows(table.x, split.train);
    const yTrain = Array.from(split.train, labelOf);
    // the same training set, so retraining with the same parameters gives the same forest
    expect(hashTrainingData(xTrain, yTrain)).toBe(card.trainingDataSha256);
    const model = ForestModel.train(xTrain, yTrain, { nTrees: 10, seed: 3, minSamplesLeaf: 5 });

    const xTest = selectRows(table.x, split.test);
    const session = await InferenceSession.create(onnx);
    try {
      const out = await session.run({
        [ONNX_INPUT]: new Tensor('float32', Float32Array.from(xTest.data), [xTest.rows, xTest.cols]),
      });
      const labels = out[ONNX_OUTPUT_LABEL]!.data as string[];
      expect(out[ONNX_OUTPUT_PROBABILITY]!.dims).toEqual([xTest.rows, 4]);
      expect(labels).toEqual(model.predict(xTest));
      const truth = Array.from(split.test, labelOf);
      expect(confusionMatrix(truth, labels, report.heldOut.confusionMatrix.classes)).toEqual(
        report.heldOut.confusionMatrix,
      );
    } finally {
      await session.release();
    }
  });
});

describe('pnpm train --task regression on simulator data', () => {
  let cwd: string;
  let run: Awaited<ReturnType<typeof train>>;
  // the STRESS clock: a life is ~150 s, so rul_h is a few hundredths of an hour
  const args = ['--data', 'data.csv', '--task', 'regression', '--label-max', '0.03', ...FAST];
  beforeAll(async () => {
    cwd = await workdir({ 'data.csv': csv });
    run = await train(cwd, args);
  });

  it('writes models/pump-rul.onnx with its sidecar and report, and prints RMSE, MAE, R², the bands and the RUL score', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(await filesIn(join(cwd, 'models'))).toEqual([
      'pump-rul.json',
      'pump-rul.onnx',
      'pump-rul.report.json',
    ]);
    expect(run.stdout).toMatch(
      /target rul_h \(h\), clipped at 0\.03 h \([\d,]+ rows, \d+\.\d %\), split by pump_id/,
    );
    expect(run.stdout).toMatch(/Held-out RMSE [\d.e-]+ h, MAE [\d.e-]+ h, R² 0\.\d{4}, bias [+-][\d.e-]+ h/);
    expect(run.stdout).toMatch(/Asymmetric RUL score [\d.e-]+ over [\d,]+ rows/);
    expect(run.stdout).toMatch(/< 10 %\s+\d+[\s\S]*10–50 %\s+\d+[\s\S]*≥ 50 %\s+\d+/);
    expect(run.stdout).toContain('Top features (mean decrease in variance)');
    expect(run.stderr).toBe('');
  });

  it('says in its metadata that it predicts rul_h in hours clipped at 0.03, with its held-out scores', async () => {
    const card = propsToCard(readOnnxMetadata(await readFile(join(cwd, 'models/pump-rul.onnx'))));
    const report = JSON.parse(
      await readFile(join(cwd, 'models/pump-rul.report.json'), 'utf8'),
    ) as RegressionTrainingReport;
    expect(card).toMatchObject({
      task: 'regression',
      target: 'rul_h',
      targetUnit: 'h',
      labelMax: 0.03,
      classes: [],
    });
    expect(card.featureNames).toEqual(FEATURE_NAMES);
    expect(card.metrics).toEqual({
      rmse: report.heldOut.rmse,
      mae: report.heldOut.mae,
      r2: report.heldOut.r2,
      bias: report.heldOut.bias,
      asymmetricScore: report.heldOut.asymmetricScore,
    });
    expect(report.task).toBe('regression');
    expect(report.target).toMatchObject({ column: 'rul_h', unit: 'h', labelMax: 0.03, bandMax: 0.03 });
    expect(report.target.train.max).toBe(0.03);
    expect(report.heldOut.bands.map((b) => b.band)).toEqual(['< 10 %', '10–50 %', '≥ 50 %']);
    expect(report.heldOut.bands.reduce((n, b) => n + b.count, 0)).toBe(report.split.rows.test);
  });

  it('exports an ONNX model whose outputs on the held-out pumps are the in-memory model’s, and give the reported RMSE', async () => {
    const report = JSON.parse(
      await readFile(join(cwd, 'models/pump-rul.report.json'), 'utf8'),
    ) as RegressionTrainingReport;
    const onnx = await readFile(join(cwd, 'models/pump-rul.onnx'));
    const table = await readTrainingTable(join(cwd, 'data.csv'), {
      features: FEATURE_NAMES,
      label: 'rul_h',
      labelType: 'number',
      group: 'pump_id',
    });
    const split = groupSplit({
      labels: table.labels.codes,
      classNames: table.labels.names,
      groups: table.groups!.codes,
      groupNames: table.groups!.names,
      groupColumn: 'pump_id',
      testFraction: 0.2,
      seed: 3,
    });
    expect(Array.from(split.testGroups, (g) => table.groups!.names[g]).sort()).toEqual(
      report.split.testGroups,
    );
    const y = table.targets!.map((v) => Math.min(v, 0.03));
    const model = RegressionModel.train(
      selectRows(table.x, split.train),
      Array.from(split.train, (i) => y[i]!),
      { nTrees: 10, seed: 3, minSamplesLeaf: 5 },
    );
    const xTest = selectRows(table.x, split.test);
    const session = await InferenceSession.create(onnx);
    try {
      const out = await session.run({
        [ONNX_INPUT]: new Tensor('float32', Float32Array.from(xTest.data), [xTest.rows, xTest.cols]),
      });
      const variable = out[ONNX_OUTPUT_VARIABLE]!;
      expect(variable.dims).toEqual([xTest.rows, 1]);
      expect(Array.from(variable.data as Float32Array)).toEqual(Array.from(model.predict(xTest)));
      const truth = Array.from(split.test, (i) => y[i]!);
      expect(regressionScores(truth, variable.data as Float32Array).rmse).toBe(report.heldOut.rmse);
    } finally {
      await session.release();
    }
  });

  it('learns health_pct too, in %, with bands of its largest value when it is not clipped', async () => {
    const dir = await workdir({ 'data.csv': csv });
    const health = await train(dir, [
      '--data',
      'data.csv',
      '--task',
      'regression',
      '--label',
      'health_pct',
      ...FAST,
    ]);
    expect(health.code, health.stderr).toBe(0);
    expect(health.stdout).toMatch(/target health_pct \(%\), not clipped/);
    expect(health.stdout).toContain('as shares of the largest health_pct, 100 %');
    // not a remaining life: no asymmetric score
    expect(health.stdout).not.toContain('Asymmetric RUL score');
  });
});

describe('pnpm train with --group none', () => {
  it('says in the printed report and in the report JSON which rows it held out, and how it chose them', async () => {
    const cwd = await workdir({ 'data.csv': csv });
    const run = await train(cwd, [
      '--data',
      'data.csv',
      ...FAST,
      '--group',
      'none',
      '--out',
      'models/pump.onnx',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(cwd, 'models/pump.report.json'), 'utf8')) as TrainingReport;

    const table = await readTrainingTable(join(cwd, 'data.csv'), {
      features: FEATURE_NAMES,
      label: 'state',
      group: null,
    });
    const split = groupSplit({
      labels: table.labels.codes,
      classNames: table.labels.names,
      groups: null,
      groupNames: null,
      groupColumn: 'row',
      testFraction: 0.2,
      seed: 3,
    });
    const heldOut = (report.split.testRowRanges ?? []).flatMap(([first, last]) =>
      Array.from({ length: last - first + 1 }, (_, k) => first + k),
    );
    expect(heldOut).toEqual(Array.from(split.test));
    expect(report.split).toMatchObject({ method: 'by-row', seed: 3, rows: { test: split.test.length } });
    const [first] = report.split.testRowRanges!;
    expect(run.stdout).toMatch(/held out\s+[\d,]+ rows, test fraction 0\.2, seed 3\n\s+chosen row by row/);
    expect(run.stdout).toContain(`rows ${first![0]}`);
    expect(run.stdout).toContain('split.testRowRanges');
  });
});

describe.concurrent('pnpm train refuses bad input with a clear message and writes nothing', () => {
  const withValue = (line: number, column: string, value: string) => {
    const col = header.split(',').indexOf(column);
    return csvLines
      .map((l, i) =>
        i === line - 1
          ? l
              .split(',')
              .map((v, c) => (c === col ? value : v))
              .join(',')
          : l,
      )
      .join('\n');
  };
  const onlyState = (state: string) =>
    [header, ...csvLines.slice(1).filter((l) => l.includes(`,${state},`))].join('\n');
  const onePump = () => {
    const pump = csvLines[1]!.split(',')[1]!;
    return [header, ...csvLines.slice(1).filter((l) => l.split(',')[1] === pump)].join('\n');
  };

  /** BROKEN rows of all pumps but one relabelled FAULTY: whichever side that pump lands on, the other lacks BROKEN */
  const oneBrokenPump = () => {
    const pump = csvLines.find((l) => l.includes(',BROKEN,'))!.split(',')[1]!;
    return csvLines.map((l) => (l.split(',')[1] === pump ? l : l.replace(',BROKEN,', ',FAULTY,'))).join('\n');
  };

  const cases: {
    name: string;
    files: Record<string, string>;
    args: string[];
    code: number;
    message: RegExp;
  }[] = [
    {
      name: 'a feature column the file does not have',
      files: { 'data.csv': csv },
      args: ['--features', 'vibration_rmz,temperature'],
      code: 1,
      message:
        /column vibration_rmz \(did you mean vibration_rms\?\) not in data\.csv; it has: ts, pump_id, seq, vibration_x, .*, failure_mode\n/,
    },
    {
      name: 'a label column the file does not have',
      files: { 'data.csv': csv },
      args: ['--label', 'condition'],
      code: 1,
      message: /column condition not in data\.csv; it has: ts, pump_id/,
    },
    {
      name: 'a value that is not a number',
      files: { 'data.csv': withValue(7, 'temperature', 'hot') },
      args: [],
      code: 1,
      message: /data\.csv line 7, column temperature: value is "hot", not a number/,
    },
    {
      name: 'a row without a pump_id',
      files: { 'data.csv': withValue(5, 'pump_id', '') },
      args: [],
      code: 1,
      message:
        /data\.csv line 5: group column pump_id is empty\. .*or split rows one by one with --group none/,
    },
    {
      name: 'a single class',
      files: { 'data.csv': onlyState('HEALTHY') },
      args: [],
      code: 1,
      message:
        /column state of data\.csv has only one class \("HEALTHY"\) in \d+ rows: a classifier needs at least two/,
    },
    {
      name: 'an empty file',
      files: { 'data.csv': '' },
      args: [],
      code: 1,
      message: /data\.csv is empty/,
    },
    {
      name: 'a header without rows',
      files: { 'data.csv': `${header}\r\n` },
      args: [],
      code: 1,
      message: /data\.csv has a header but no rows/,
    },
    {
      name: 'a --data file that does not exist',
      files: {},
      args: [],
      code: 1,
      message: /cannot read --data data\.csv: no such file/,
    },
    {
      name: 'a group split that leaves nothing to train on',
      files: { 'data.csv': onePump() },
      args: [],
      code: 1,
      message: /nothing left to train on: pump_id has only 1 distinct value.*Train on data from more pumps/,
    },
    {
      name: 'a group split that leaves a class out of one set',
      files: { 'data.csv': oneBrokenPump() },
      args: [],
      code: 1,
      message:
        /(the held-out set has no BROKEN rows|no BROKEN rows are left for training): 1 of 40 pump_id values have BROKEN rows.*--test-fraction \(now 0\.2\), another --seed/,
    },
    {
      name: 'a regression target that is not a number',
      files: { 'data.csv': withValue(9, 'rul_h', 'soon') },
      args: ['--task', 'regression'],
      code: 1,
      message:
        /data\.csv line 9, column rul_h \(the target\): value is "soon", not a number\. A regression needs a finite number in every row/,
    },
    {
      name: 'an empty regression target',
      files: { 'data.csv': withValue(4, 'rul_h', '') },
      args: ['--task', 'regression'],
      code: 1,
      message: /data\.csv line 4, column rul_h \(the target\): value is empty/,
    },
    {
      name: 'a NaN regression target',
      files: { 'data.csv': withValue(12, 'health_pct', 'NaN') },
      args: ['--task', 'regression', '--label', 'health_pct'],
      code: 1,
      message: /data\.csv line 12, column health_pct \(the target\): value is "NaN", not a number/,
    },
    {
      name: 'a constant regression target',
      files: {
        'data.csv': csvLines
          .map((l, i) => (i === 0 ? l : l.replace(/,[\d.]+,[\d.]+,([A-Z_]*)$/, ',100.00,5.000,$1')))
          .join('\n'),
      },
      args: ['--task', 'regression'],
      code: 1,
      message: /column rul_h of data\.csv is 5 in all \d+ rows: a regression needs a target that varies/,
    },
    {
      name: 'a label-max that clips every target to one value',
      files: {
        'data.csv': csvLines
          .map((l, i) =>
            i === 0 ? l : l.replace(/,([\d.]+),([A-Z_]*)$/, (_, rul, mode) => `,${1 + Number(rul)},${mode}`),
          )
          .join('\n'),
      },
      args: ['--task', 'regression', '--label-max', '0.5'],
      code: 1,
      message: /column rul_h of data\.csv is at least --label-max 0\.5 in all \d+ rows.*Raise --label-max/,
    },
    {
      name: 'bad flags, all at once, with exit code 2',
      files: { 'data.csv': csv },
      args: ['--trees', 'many', '--test-fraction', '0', '--out', 'model.bin'],
      code: 2,
      message:
        /--test-fraction: must be above 0[\s\S]*--trees: expected a whole number[\s\S]*--out: a path ending in \.onnx/,
    },
  ];

  for (const c of cases) {
    it(`on ${c.name}`, async () => {
      const cwd = await workdir(c.files);
      const args = c.name.startsWith('bad flags')
        ? ['--data', 'data.csv', ...c.args]
        : ['--data', 'data.csv', ...FAST, ...c.args];
      const run = await train(cwd, args);
      expect(run.code, run.stderr).toBe(c.code);
      expect(run.stderr).toMatch(c.message);
      if (c.code === 1) expect(run.stderr).toContain('No model was written.');
      expect(run.stdout).toBe('');
      expect(await filesIn(join(cwd, 'models'))).toEqual([]);
    });
  }

  it('on a missing --data flag, with exit code 2', async () => {
    const run = await train(await workdir(), ['--trees', '5']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--data: required: the CSV to train on');
  });

  it('answers --help with every flag', async () => {
    const run = await train(await workdir(), ['--help']);
    expect(run.code).toBe(0);
    for (const flag of [
      '--data CSV',
      '--label',
      '--features',
      '--group',
      '--test-fraction',
      '--trees',
      '--max-depth',
      '--min-samples-leaf',
      '--max-features',
      '--seed',
      '--out',
      '--task T',
      '--label-max X',
      '--target-unit UNIT',
    ]) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toContain('regression (learn the number in --label)');
    expect(run.stdout).toContain('default: rul_h');
  });
});

describe('pnpm train replaces a model atomically', () => {
  it('leaves the previous model, sidecar and report untouched when a run fails on bad data or on the disk', async () => {
    const cwd = await workdir({ 'good.csv': csv, 'bad.csv': `${csv}not,a,row\n` });
    const out = ['--out', 'models/pump.onnx'];
    expect((await train(cwd, ['--data', 'good.csv', ...FAST, ...out])).code).toBe(0);
    const models = join(cwd, 'models');
    const before = await Promise.all(
      ['pump.onnx', 'pump.json', 'pump.report.json'].map((f) => readFile(join(models, f))),
    );

    const badData = await train(cwd, ['--data', 'bad.csv', ...FAST, ...out]);
    expect(badData.code).toBe(1);
    expect(badData.stderr).toMatch(/bad\.csv line \d+ has 3 fields, the header has 30/);
    const after = await Promise.all(
      ['pump.onnx', 'pump.json', 'pump.report.json'].map((f) => readFile(join(models, f))),
    );
    expect(after).toEqual(before);

    // the sidecar's name taken by a folder: writing fails after the model is encoded
    await rm(join(models, 'pump.json'));
    await mkdir(join(models, 'pump.json'));
    const badDisk = await train(cwd, ['--data', 'good.csv', '--trees', '12', '--seed', '4', ...out]);
    expect(badDisk.code).toBe(1);
    expect(badDisk.stderr).toContain('could not write the model to models/pump.onnx');
    expect(await readFile(join(models, 'pump.onnx'))).toEqual(before[0]);
    expect(await readFile(join(models, 'pump.report.json'))).toEqual(before[2]);
    // no temporary files left behind
    expect(await filesIn(models)).toEqual(['pump.json', 'pump.onnx', 'pump.report.json']);
  });
});
