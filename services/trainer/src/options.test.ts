import { FEATURE_NAMES } from '@pdm/features';
import { parseConfig } from '@pdm/service-kit';
import { describe, expect, it } from 'vitest';
import { crossCheck, options, program, withTaskDefaults } from './options.ts';

const parse = (...argv: string[]) => parseConfig(program, options, { argv, env: {} }, crossCheck);

describe('trainer options', () => {
  it('defaults to the shared features, state by pump_id, and models/pump-state.onnx', () => {
    const result = parse('--data', 'x.csv');
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(withTaskDefaults(result.config)).toMatchObject({
      task: 'classification',
      data: 'x.csv',
      label: 'state',
      features: [...FEATURE_NAMES],
      group: 'pump_id',
      testFraction: 0.2,
      trees: 100,
      maxDepth: undefined,
      minSamplesLeaf: 5,
      maxFeatures: 'sqrt',
      seed: 0,
      out: 'models/pump-state.onnx',
    });
  });

  it('defaults a regression to the target rul_h in hours, unclipped, written to models/pump-rul.onnx', () => {
    const result = parse('--data', 'x.csv', '--task', 'regression');
    if (result.kind !== 'ok') throw new Error(JSON.stringify(result));
    expect(withTaskDefaults(result.config)).toMatchObject({
      task: 'regression',
      label: 'rul_h',
      targetUnit: 'h',
      labelMax: undefined,
      out: 'models/pump-rul.onnx',
    });
    const health = parse(
      '--data',
      'x.csv',
      '--task',
      'regression',
      '--label',
      'health_pct',
      '--label-max',
      '80',
    );
    if (health.kind !== 'ok') throw new Error(JSON.stringify(health));
    expect(withTaskDefaults(health.config)).toMatchObject({
      label: 'health_pct',
      targetUnit: '%',
      labelMax: 80,
    });
    const cycles = parse(
      '--data',
      'x.csv',
      '--task',
      'regression',
      '--label',
      'rul',
      '--target-unit',
      'cycles',
    );
    if (cycles.kind !== 'ok') throw new Error(JSON.stringify(cycles));
    expect(withTaskDefaults(cycles.config)).toMatchObject({ label: 'rul', targetUnit: 'cycles' });
  });

  it('refuses a label-max that is not a positive number, and regression flags on a classification', () => {
    expect(parse('--data', 'x.csv', '--task', 'regression', '--label-max', '0')).toMatchObject({
      kind: 'invalid',
      problems: [expect.stringContaining('--label-max: must be above 0')],
    });
    expect(parse('--data', 'x.csv', '--task', 'forecast')).toMatchObject({ kind: 'invalid' });
    expect(parse('--data', 'x.csv', '--label-max', '100', '--target-unit', 'h')).toMatchObject({
      kind: 'invalid',
      problems: ['--label-max: only for --task regression', '--target-unit: only for --task regression'],
    });
  });

  it('reads a feature list, a depth, and a max-features count or fraction', () => {
    const result = parse(
      '--data=x.csv',
      '--features',
      ' a, b ,c',
      '--max-depth',
      '12',
      '--max-features',
      '0.5',
    );
    expect(result).toMatchObject({
      kind: 'ok',
      config: { features: ['a', 'b', 'c'], maxDepth: 12, maxFeatures: 0.5 },
    });
    expect(parse('--data=x.csv', '--max-depth', 'none', '--max-features', '3')).toMatchObject({
      config: { maxDepth: undefined, maxFeatures: 3 },
    });
  });

  it('lists every bad flag at once, by name', () => {
    const result = parse(
      '--test-fraction',
      '1',
      '--trees',
      '0',
      '--max-depth',
      '2.5',
      '--max-features',
      'most',
      '--out',
      'model.bin',
      '--features',
      'a,a',
    );
    expect(result.kind).toBe('invalid');
    if (result.kind !== 'invalid') return;
    const problems = result.problems.join('\n');
    for (const flag of [
      '--data',
      '--test-fraction',
      '--trees',
      '--max-depth',
      '--max-features',
      '--out',
      '--features',
    ]) {
      expect(problems).toContain(`${flag}:`);
    }
    expect(problems).toContain('required: the CSV to train on');
    expect(problems).toContain('a feature listed twice');
  });

  it('refuses the label or the group column among the features', () => {
    const result = parse('--data', 'x.csv', '--features', 'a,state,pump_id');
    expect(result.kind).toBe('invalid');
    if (result.kind !== 'invalid') return;
    expect(result.problems).toEqual([
      '--features: includes the label column state',
      expect.stringContaining('--features: includes the group column pump_id'),
    ]);
  });

  it('refuses more features per split than there are feature columns', () => {
    expect(parse('--data', 'x.csv', '--features', 'a,b', '--max-features', '3')).toMatchObject({
      kind: 'invalid',
      problems: ['--max-features: 3 is more than the 2 feature columns'],
    });
  });

  it('answers --help with every flag and its default', () => {
    const result = parse('--help');
    expect(result.kind).toBe('help');
    if (result.kind !== 'help') return;
    for (const flag of [
      '--data',
      '--label',
      '--features',
      '--group',
      '--test-fraction',
      '--trees',
      '--max-depth',
      '--task',
      '--label-max',
      '--target-unit',
    ]) {
      expect(result.text).toContain(flag);
    }
    expect(result.text).toContain(`(default: ${FEATURE_NAMES.join(',')})`);
    expect(result.text).toContain('(default: classification)');
    expect(result.text).toContain('(default: models/pump-state.onnx, for regression models/pump-rul.onnx)');
    expect(result.text).toContain('(default: h for rul_h, % for health_pct, else none)');
  });
});
