/**
 * Flags of `pnpm train`. No environment equivalents: a training run is a one-off command whose inputs
 * belong on its command line, and a SEED or PUMPS left in .env for the simulators must not change a model.
 */
import { FEATURE_NAMES } from '@pdm/features';
import type { MaxFeatures } from '@pdm/forest';
import { type ConfigOf, intOption, type OptionSpecs } from '@pdm/service-kit';
import { z } from 'zod';

export const program = {
  name: 'train',
  summary:
    'Trains a StandardScaler + Random Forest on a CSV (the output of pnpm export-training-data, or any CSV\n' +
    'with a header), scores it on pumps held out of training, and writes it as ONNX with a JSON sidecar\n' +
    'and a report beside it: a classifier of the pump state (--task classification), or a regressor of a\n' +
    'number such as the remaining useful life (--task regression --label rul_h --label-max 200).\n' +
    'Exit codes: 0 trained, 1 the data or the disk failed, 2 invalid flags.',
};

export const TASKS = ['classification', 'regression'] as const;
export type Task = (typeof TASKS)[number];

/** --label and --out when not given, per task */
export const TASK_DEFAULTS = {
  classification: { label: 'state', out: 'models/pump-state.onnx' },
  regression: { label: 'rul_h', out: 'models/pump-rul.onnx' },
} as const satisfies Record<Task, { label: string; out: string }>;

/** Units of the targets the simulator writes; another column's unit comes from --target-unit. */
export const TARGET_UNITS: Readonly<Record<string, string>> = { rul_h: 'h', health_pct: '%' };

/** Marks "no limit" for --max-depth, and "split rows one by one" for --group. */
export const NONE = 'none';

const columnName = z.string().trim().min(1, 'a column name');

const featureList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== ''),
  )
  .refine((names) => names.length > 0, 'at least one feature column')
  .refine((names) => new Set(names).size === names.length, 'a feature listed twice');

const maxDepth = z
  .string()
  .optional()
  .refine(
    (s) => s === undefined || s === NONE || /^\s*[1-9]\d*\s*$/.test(s),
    `a whole number ≥ 1, or ${NONE}`,
  )
  .transform((s) => (s === undefined || s === NONE ? undefined : Number(s)));

const maxFeatures = z
  .string()
  .default('sqrt')
  .refine((s) => {
    if (s === 'sqrt' || s === 'log2' || s === 'all') return true;
    const n = Number(s);
    return s.trim() !== '' && ((n > 0 && n < 1) || (Number.isInteger(n) && n >= 1));
  }, 'sqrt, log2, all, a whole number of features ≥ 1, or a fraction in (0, 1)')
  .transform((s): MaxFeatures => (s === 'sqrt' || s === 'log2' || s === 'all' ? s : Number(s)));

export const options = {
  task: {
    schema: z.enum(TASKS).default('classification'),
    flag: 'task',
    placeholder: 'T',
    help: 'classification (learn the class in --label) or regression (learn the number in --label)',
  },
  data: {
    schema: z.string({ error: 'required: the CSV to train on' }).min(1, 'required: the CSV to train on'),
    flag: 'data',
    placeholder: 'CSV',
    help: 'training data: the output of pnpm export-training-data, or any CSV with a header (required)',
  },
  label: {
    schema: columnName.optional(),
    flag: 'label',
    placeholder: 'COLUMN',
    help: `column to learn: the class for classification (default: ${TASK_DEFAULTS.classification.label}), a number for regression, e.g. rul_h or health_pct (default: ${TASK_DEFAULTS.regression.label})`,
  },
  labelMax: {
    schema: z.coerce
      .number({ error: 'expected a number' })
      .gt(0, 'must be above 0')
      .refine(Number.isFinite, 'must be finite')
      .optional(),
    flag: 'label-max',
    placeholder: 'X',
    help: 'regression: clip the target to at most X (a healthy pump\'s RUL is "at least X"); bands are reported as shares of X (default: no clip)',
  },
  targetUnit: {
    schema: z.string().trim().optional(),
    flag: 'target-unit',
    placeholder: 'UNIT',
    help: "regression: the target's unit, e.g. cycles (default: h for rul_h, % for health_pct, else none)",
  },
  features: {
    schema: featureList.default([...FEATURE_NAMES]),
    flag: 'features',
    placeholder: 'A,B,…',
    help: 'numeric feature columns, comma-separated, in the order the model takes them',
  },
  group: {
    schema: columnName.default('pump_id'),
    flag: 'group',
    placeholder: 'COLUMN',
    help: `column naming the pump of each row: no pump has rows in both the training and the held-out set (${NONE}: split rows one by one)`,
  },
  testFraction: {
    schema: z.coerce
      .number({ error: 'expected a number' })
      .gt(0, 'must be above 0')
      .lt(1, 'must be below 1')
      .default(0.2),
    flag: 'test-fraction',
    placeholder: 'F',
    help: 'share of rows held out for scoring, taken as whole groups',
  },
  trees: {
    schema: intOption(100, { min: 1, max: 100_000 }),
    flag: 'trees',
    placeholder: 'N',
    help: 'trees in the forest',
  },
  maxDepth: {
    schema: maxDepth,
    flag: 'max-depth',
    placeholder: 'N',
    help: `deepest level a tree may grow to, or ${NONE} (default: ${NONE})`,
  },
  minSamplesLeaf: {
    // 5, not scikit-learn's 1: on simulator data it costs ~0.2 points of accuracy and saves ~40 % of the
    // model's size, which otherwise grows with the rows (see README)
    schema: intOption(5, { min: 1, max: 1_000_000 }),
    flag: 'min-samples-leaf',
    placeholder: 'N',
    help: 'fewest training rows a leaf may hold; larger gives smaller models (scikit-learn: 1)',
  },
  maxFeatures: {
    schema: maxFeatures,
    flag: 'max-features',
    placeholder: 'M',
    help: 'features tried per split: sqrt, log2, all, a count, or a fraction',
  },
  seed: {
    schema: intOption(0, { min: 0, max: 2 ** 32 - 1 }),
    flag: 'seed',
    placeholder: 'S',
    help: 'seed of the group split and the forest; the same data and seed give the same model',
  },
  out: {
    schema: z
      .string()
      .trim()
      .refine((s) => s.endsWith('.onnx'), 'a path ending in .onnx')
      .optional(),
    flag: 'out',
    placeholder: 'PATH',
    help: `model file; <name>.json (sidecar) and <name>.report.json go beside it (default: ${TASK_DEFAULTS.classification.out}, for regression ${TASK_DEFAULTS.regression.out})`,
  },
} as const satisfies OptionSpecs;

export type TrainerFlags = ConfigOf<typeof options>;

/** The flags with the task's defaults filled in: what a training run works from. */
export interface TrainerConfig extends Omit<TrainerFlags, 'label' | 'out' | 'targetUnit'> {
  readonly label: string;
  readonly out: string;
  /** regression: the target's unit ('' when unknown) */
  readonly targetUnit: string;
}

export function withTaskDefaults(flags: TrainerFlags): TrainerConfig {
  const label = flags.label ?? TASK_DEFAULTS[flags.task].label;
  return {
    ...flags,
    label,
    out: flags.out ?? TASK_DEFAULTS[flags.task].out,
    targetUnit: flags.targetUnit ?? TARGET_UNITS[label] ?? '',
  };
}

/** Rules across flags, reported with the others before any data is read. */
export function crossCheck(flags: TrainerFlags): string[] {
  const config = withTaskDefaults(flags);
  const problems: string[] = [];
  if (config.task === 'classification') {
    if (flags.labelMax !== undefined) problems.push('--label-max: only for --task regression');
    if (flags.targetUnit !== undefined) problems.push('--target-unit: only for --task regression');
  }
  if (config.features.includes(config.label)) {
    problems.push(`--features: includes the label column ${config.label}`);
  }
  if (config.group !== NONE && config.features.includes(config.group)) {
    problems.push(
      `--features: includes the group column ${config.group}; a model that sees which pump a row is from learns the pumps, not their condition`,
    );
  }
  if (config.group === config.label) problems.push(`--group: the same column as --label (${config.label})`);
  const { maxFeatures, features } = config;
  if (typeof maxFeatures === 'number' && maxFeatures >= 1 && maxFeatures > features.length) {
    problems.push(`--max-features: ${maxFeatures} is more than the ${features.length} feature columns`);
  }
  return problems;
}
