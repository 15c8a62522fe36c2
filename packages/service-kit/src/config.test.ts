import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  booleanOption,
  configOrExit,
  EXIT_CONFIG,
  intOption,
  type OptionSpecs,
  optionalIntOption,
  optionalNumberOption,
  parseConfig,
  sharedOptions,
} from './config.ts';

const program = { name: 'demo-tool', summary: 'Does a demo.' };
const specs = {
  pumps: { schema: intOption(10, { min: 1 }), flag: 'pumps', env: 'PUMPS', help: 'pumps' },
  chaos: {
    schema: booleanOption(false),
    flag: 'chaos',
    env: 'CHAOS',
    boolean: true,
    negatable: true,
    help: 'chaos',
  },
  stdout: { schema: booleanOption(false), flag: 'stdout', boolean: true, help: 'to stdout' },
  name: { schema: z.string().default('x'), env: 'NAME', help: 'env only' },
  ...sharedOptions,
} as const satisfies OptionSpecs;

const parse = (argv: string[], env: Record<string, string> = {}) =>
  parseConfig(program, specs, { argv, env });

describe('config loading', () => {
  it('leaves an option without a default undefined when unset, and still checks it when set', () => {
    const optional = {
      etaH: { schema: optionalNumberOption({ min: 0.001 }), flag: 'eta', help: 'η' },
      samples: { schema: optionalIntOption({ min: 0 }), flag: 'samples', help: 'samples' },
    } as const satisfies OptionSpecs;
    const unset = parseConfig(program, optional, { argv: [], env: {} });
    expect(unset.kind === 'ok' && unset.config).toEqual({ etaH: undefined, samples: undefined });
    const set = parseConfig(program, optional, { argv: ['--eta', '0.5', '--samples', '3'], env: {} });
    expect(set.kind === 'ok' && set.config).toEqual({ etaH: 0.5, samples: 3 });
    const bad = parseConfig(program, optional, { argv: ['--eta', '0', '--samples', '1.5'], env: {} });
    expect(bad.kind === 'invalid' && bad.problems).toEqual([
      '--eta: must be at least 0.001 (got "0")',
      '--samples: expected a whole number (got "1.5")',
    ]);
  });

  it('takes flags over environment over defaults', () => {
    const fromDefaults = parse([]);
    expect(fromDefaults.kind === 'ok' && fromDefaults.config.pumps).toBe(10);
    const fromEnv = parse([], { PUMPS: '20' });
    expect(fromEnv.kind === 'ok' && fromEnv.config.pumps).toBe(20);
    const fromFlag = parse(['--pumps', '30'], { PUMPS: '20' });
    expect(fromFlag.kind === 'ok' && fromFlag.config.pumps).toBe(30);
    const inline = parse(['--pumps=40']);
    expect(inline.kind === 'ok' && inline.config.pumps).toBe(40);
  });

  it('reports every problem at once, each by flag and variable name', () => {
    const result = parse(['--pumps', 'many', '--bogus', 'stray', '--chaos=maybe'], {
      LOG_LEVEL: 'loud',
      MQTT_URL: 'http://x',
    });
    expect(result.kind).toBe('invalid');
    const problems = result.kind === 'invalid' ? result.problems.join('\n') : '';
    expect(problems).toContain('unknown option --bogus');
    expect(problems).toContain('unexpected argument "stray"');
    expect(problems).toContain('--pumps / PUMPS: expected a whole number (got "many")');
    expect(problems).toContain('--chaos / CHAOS: expected true or false');
    expect(problems).toContain('--log-level / LOG_LEVEL');
    expect(problems).toContain('--mqtt-url / MQTT_URL: expected a URL starting with mqtt://');
  });

  it('checks ranges and reads a negative number as a value, not a flag', () => {
    const result = parse(['--pumps', '-1']);
    expect(result.kind === 'invalid' && result.problems).toEqual([
      '--pumps / PUMPS: must be at least 1 (got "-1")',
    ]);
  });

  it('sets booleans with --flag, clears negatable ones with --no-flag, and reads them from the environment', () => {
    const on = parse(['--chaos', '--stdout']);
    expect(on.kind === 'ok' && [on.config.chaos, on.config.stdout]).toEqual([true, true]);
    const off = parse(['--no-chaos'], { CHAOS: 'true' });
    expect(off.kind === 'ok' && off.config.chaos).toBe(false);
    const env = parse([], { CHAOS: 'yes' });
    expect(env.kind === 'ok' && env.config.chaos).toBe(true);
    expect(parse(['--no-stdout']).kind).toBe('invalid');
  });

  it('ignores the -- that pnpm forwards and treats empty variables as unset', () => {
    const result = parse(['--', '--pumps', '3'], { PUMPS: '', NAME: '  ' });
    expect(result.kind === 'ok' && [result.config.pumps, result.config.name]).toEqual([3, 'x']);
  });

  it('answers --help with every flag, its variable and its default', () => {
    const result = parse(['--pumps', 'bad', '--help']);
    expect(result.kind).toBe('help');
    const text = result.kind === 'help' ? result.text : '';
    expect(text).toContain('Usage: pnpm demo-tool [options]');
    expect(text).toMatch(/--pumps VALUE\s+PUMPS\s+pumps \(default: 10\)/);
    expect(text).toContain('--chaos, --no-chaos');
    expect(text).toContain('MQTT_PASSWORD');
  });

  it('freezes the parsed config', () => {
    const result = parse([]);
    expect(result.kind === 'ok' && Object.isFrozen(result.config)).toBe(true);
  });

  it('exits with code 2 and names the problems when the config is invalid', () => {
    const printed: string[] = [];
    const exit = (code: number): never => {
      throw new Error(`exit ${code}`);
    };
    expect(() =>
      configOrExit(parse(['--pumps', '0']), program, {
        out: (t) => printed.push(t),
        err: (t) => printed.push(t),
        exit,
      }),
    ).toThrow(`exit ${EXIT_CONFIG}`);
    expect(printed.join('')).toContain(
      'demo-tool: invalid configuration\n  - --pumps / PUMPS: must be at least 1',
    );
  });
});
