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
    'and a report beside it. Exit codes: 0 trained, 1 the data or the disk failed, 2 invalid flags.',
};

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
  data: {
    schema: z.string({ error: 'required: the CSV to train on' }).min(1, 'required: the CSV to train on'),
    flag: 'data',
    placeholder: 'CSV',
    help: 'training data: the output of pnpm export-training-data, or any CSV with a header (required)',
  },
  label: {
    schema: columnName.default('state'),
    flag: 'label',
    placeholder: 'COLUMN',
    help: 'column holding the class to learn',
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
      .default('models/pump-state.onnx')
      .refine((s) => s.endsWith('.onnx'), 'a path ending in .onnx'),
    flag: 'out',
    placeholder: 'PATH',
    help: 'model file; <name>.json (sidecar) and <name>.report.json go beside it',
  },
} as const satisfies OptionSpecs;

export type TrainerConfig = ConfigOf<typeof options>;

/** Rules across flags, reported with the others before any data is read. */
export function crossCheck(config: TrainerConfig): string[] {
  const problems: string[] = [];
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
