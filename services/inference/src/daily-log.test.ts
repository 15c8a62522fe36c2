import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DailyLog } from './daily-log.ts';

const at = (iso: string) => Date.parse(iso);

describe('daily prediction logs', () => {
  it('rotates at midnight UTC, with a header in each new file, and keeps whole lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-log-'));
    const log = new DailyLog({
      dir,
      prefix: 'predictions',
      extension: 'csv',
      header: 'ts,state',
      retainDays: 30,
    });
    log.write('1,HEALTHY\n2,HEALTHY\n', at('2026-03-01T23:59:59.900Z'));
    log.write('3,WARNING\n', at('2026-03-02T00:00:00.100Z'));
    log.write('4,FAULTY\n', at('2026-03-02T08:00:00Z'));
    await log.close();
    expect(readdirSync(dir).sort()).toEqual(['predictions-2026-03-01.csv', 'predictions-2026-03-02.csv']);
    expect(readFileSync(join(dir, 'predictions-2026-03-01.csv'), 'utf8')).toBe(
      'ts,state\n1,HEALTHY\n2,HEALTHY\n',
    );
    expect(readFileSync(join(dir, 'predictions-2026-03-02.csv'), 'utf8')).toBe(
      'ts,state\n3,WARNING\n4,FAULTY\n',
    );
  });

  it('appends to today’s file after a restart without repeating the header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-log-'));
    const options = { dir, prefix: 'predictions', extension: 'csv', header: 'ts,state', retainDays: 30 };
    const first = new DailyLog(options);
    first.write('1,HEALTHY\n', at('2026-03-01T10:00:00Z'));
    await first.close();
    const second = new DailyLog(options);
    second.write('2,HEALTHY\n', at('2026-03-01T11:00:00Z'));
    await second.close();
    expect(readFileSync(join(dir, 'predictions-2026-03-01.csv'), 'utf8')).toBe(
      'ts,state\n1,HEALTHY\n2,HEALTHY\n',
    );
  });

  it('deletes files older than the retention, and only its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-log-'));
    for (const name of [
      'predictions-2026-01-01.jsonl',
      'predictions-2026-02-27.jsonl',
      'notes-2026-01-01.jsonl',
      'predictions-2026-01-01.csv',
    ]) {
      writeFileSync(join(dir, name), 'x\n');
    }
    const log = new DailyLog({ dir, prefix: 'predictions', extension: 'jsonl', retainDays: 3 });
    log.write('{}\n', at('2026-03-01T12:00:00Z'));
    await log.close();
    expect(readdirSync(dir).sort()).toEqual([
      'notes-2026-01-01.jsonl',
      'predictions-2026-01-01.csv',
      'predictions-2026-02-27.jsonl',
      'predictions-2026-03-01.jsonl',
    ]);
  });
});
