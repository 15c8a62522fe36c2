import { describe, expect, it } from 'vitest';
import { joinRepeatedFlags, parseTailConfig } from './options.ts';

const parse = (...argv: string[]) => parseTailConfig({ argv, env: {} });

const ok = (...argv: string[]) => {
  const result = parse(...argv);
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.config;
};

const problems = (...argv: string[]) => {
  const result = parse(...argv);
  return result.kind === 'invalid' ? result.problems : [];
};

describe('tail-predictions options', () => {
  it('joins repeated --pump and --state flags into one comma-separated value', () => {
    expect(joinRepeatedFlags(['--pump', 'a', '--lines', '5', '--pump=b,c', '--state', 'FAULTY'])).toEqual([
      '--pump',
      'a,b,c',
      '--lines',
      '5',
      '--state',
      'FAULTY',
    ]);
    expect(joinRepeatedFlags(['--pump'])).toEqual(['--pump']);
  });

  it('reads pumps and states repeated or comma-separated, states in any case', () => {
    const config = ok(
      '--pump',
      'pump-00042, pump-000*',
      '--pump',
      'x1',
      '--state',
      'faulty',
      '--state=Broken',
    );
    expect(config.pumps).toEqual(['pump-00042', 'pump-000*', 'x1']);
    expect(config.states).toEqual(['FAULTY', 'BROKEN']);
  });

  it('defaults to today’s log in ./predictions, 20 rows, following, colour decided by the terminal', () => {
    const config = ok();
    expect(config).toMatchObject({ source: 'log', dir: 'predictions', lines: 20, follow: true, json: false });
    expect(config.color).toBeUndefined();
    expect(config.pumps).toBeUndefined();
    expect(config.states).toBeUndefined();
  });

  it('takes --color and --no-color as an explicit choice', () => {
    expect(ok('--color').color).toBe(true);
    expect(ok('--no-color').color).toBe(false);
  });

  it('refuses unknown states, odd pump patterns and options that mean nothing for the source', () => {
    expect(problems('--state', 'FAULTY,ON_FIRE').join('\n')).toMatch(/--state: expected HEALTHY, WARNING/);
    expect(problems('--pump', 'pump/1').join('\n')).toMatch(/--pump/);
    expect(problems('--pump', ' , ').join('\n')).toMatch(/at least one pump/);
    expect(problems('--alerts-only')).toEqual([
      '--alerts-only: needs --source mqtt; the prediction log holds predictions only',
    ]);
    expect(problems('--source', 'mqtt', '--no-follow').join('\n')).toMatch(
      /--no-follow: applies to --source log/,
    );
    expect(problems('--source', 'mqtt', '--date', '2026-03-01').join('\n')).toMatch(/--date/);
    expect(problems('--date', '2026-3-1').join('\n')).toMatch(/expected a day such as 2026-03-01/);
  });

  it('explains the output and gives examples in --help', () => {
    const result = parse('--help');
    expect(result.kind).toBe('help');
    const text = result.kind === 'help' ? result.text : '';
    for (const expected of [
      '--source log|mqtt',
      'PREDICTIONS_DIR',
      'NO_COLOR',
      'MQTT_URL',
      'pnpm tail-predictions --pump pump-00042',
      'pnpm tail-predictions --state FAULTY,BROKEN',
      'pnpm tail-predictions --source mqtt',
      'Exit codes',
    ])
      expect(text).toContain(expected);
  });
});
