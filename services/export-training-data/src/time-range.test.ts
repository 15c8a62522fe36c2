import { describe, expect, it } from 'vitest';
import { describeRange, parseTimeBound, resolveTimeBound } from './time-range.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

describe('time bounds', () => {
  it('reads ISO dates and times with a zone as instants', () => {
    expect(parseTimeBound('2026-01-01')).toEqual({ kind: 'instant', ms: Date.UTC(2026, 0, 1) });
    expect(parseTimeBound('2026-01-01T06:30:00Z')).toEqual({
      kind: 'instant',
      ms: Date.UTC(2026, 0, 1, 6, 30),
    });
    expect(parseTimeBound('2026-01-01T06:30:00.250+02:00')).toEqual({
      kind: 'instant',
      ms: Date.UTC(2026, 0, 1, 4, 30, 0, 250),
    });
  });

  it('reads ages in seconds, minutes, hours, days and weeks, counted back from now', () => {
    const ago = (text: string) =>
      NOW - resolveTimeBound(parseTimeBound(text) ?? { kind: 'ago', ms: -1 }, NOW);
    expect(ago('45s')).toBe(45_000);
    expect(ago('30m')).toBe(30 * 60_000);
    expect(ago('12h')).toBe(12 * 3_600_000);
    expect(ago('7d')).toBe(7 * 86_400_000);
    expect(ago('2w')).toBe(14 * 86_400_000);
    expect(ago('1.5h')).toBe(90 * 60_000);
  });

  it('refuses dates that do not exist, times without a zone, and words', () => {
    for (const text of ['2026-02-30', '2026-13-01', '2026-01-01T06:00', 'yesterday', '12', '-3h', '']) {
      expect(parseTimeBound(text), text).toBeUndefined();
    }
  });

  it('describes a range for messages, open ends included', () => {
    expect(describeRange({})).toBe('at any time');
    expect(describeRange({ sinceMs: NOW })).toBe('from 2026-11-26T12:00:00.000Z on');
    expect(describeRange({ untilMs: NOW })).toBe('before 2026-11-26T12:00:00.000Z');
    expect(describeRange({ sinceMs: 0, untilMs: NOW })).toBe(
      'from 1970-01-01T00:00:00.000Z to 2026-11-26T12:00:00.000Z',
    );
  });
});
