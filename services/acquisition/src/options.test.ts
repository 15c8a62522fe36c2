import { parseConfig } from '@pdm/service-kit';
import { describe, expect, it } from 'vitest';
import { crossCheck, options, program } from './options.ts';

const parse = (env: Record<string, string>, ...argv: string[]) => {
  const result = parseConfig(program, options, { argv, env }, crossCheck);
  if (result.kind !== 'ok') throw new Error(JSON.stringify(result));
  return result.config;
};

describe('acquisition options', () => {
  it('stores telemetry, predictions and alerts by default, and keeps production rows 30 days', () => {
    expect(parse({})).toMatchObject({ storeTelemetry: true, storePredictions: true, retainDays: 30 });
  });

  it('reads the empty values docker compose passes for unset variables as the defaults', () => {
    // docker-compose.yml: STORE_TELEMETRY: ${STORE_TELEMETRY:-} and the like
    expect(
      parse({ STORE_TELEMETRY: '', STORE_PREDICTIONS: '', RETAIN_DAYS: '', ACQ_LANES: '' }),
    ).toMatchObject({ storeTelemetry: true, storePredictions: true, retainDays: 30, lanes: 1 });
  });

  it('turns each off by flag or variable, and keeps everything with --retain-days 0', () => {
    expect(parse({}, '--no-store-telemetry', '--no-store-predictions', '--retain-days', '0')).toMatchObject({
      storeTelemetry: false,
      storePredictions: false,
      retainDays: 0,
    });
    expect(parse({ STORE_TELEMETRY: 'false', STORE_PREDICTIONS: 'no', RETAIN_DAYS: '7.5' })).toMatchObject({
      storeTelemetry: false,
      storePredictions: false,
      retainDays: 7.5,
    });
  });

  it('refuses a negative retention, naming the flag', () => {
    const result = parseConfig(program, options, { argv: ['--retain-days', '-1'], env: {} }, crossCheck);
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.problems.join('\n')).toMatch(/--retain-days/);
  });
});
