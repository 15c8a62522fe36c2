import { describe, expect, it } from 'vitest';
import { dailyFileName, dayOfDailyFile, utcDay } from './daily-files.ts';

describe('daily file names', () => {
  it('name a file by its UTC day and read the day back', () => {
    const day = utcDay(Date.parse('2026-03-01T23:59:59.999Z'));
    expect(day).toBe('2026-03-01');
    expect(dailyFileName('predictions', day, 'jsonl')).toBe('predictions-2026-03-01.jsonl');
    expect(dayOfDailyFile('predictions-2026-03-01.jsonl', 'predictions', 'jsonl')).toBe('2026-03-01');
  });

  it.each([
    'predictions-2026-03-01.csv',
    'dead-letters-2026-03-01.jsonl',
    'predictions-2026-3-01.jsonl',
    'predictions-2026-03-01.jsonl.tmp',
    'x',
  ])('ignores %s', (name) => {
    expect(dayOfDailyFile(name, 'predictions', 'jsonl')).toBeUndefined();
  });
});
