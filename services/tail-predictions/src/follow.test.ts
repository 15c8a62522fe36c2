import { appendFileSync, mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FollowSettings, LogFollower } from './follow.ts';
import type { Line } from './lines.ts';
import { RecordingLog } from './testing/fixtures.ts';

const MARCH_1 = Date.parse('2026-03-01T12:00:00Z');

/** A follower driven by hand: each poll() is one look, the clock moves when the test says. */
function setUp(overrides: Partial<FollowSettings> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'pdm-tail-'));
  const dir = join(root, 'predictions');
  let now = MARCH_1;
  const shown: { file: string; line: Line }[] = [];
  const log = new RecordingLog();
  let waiting: { count: number; resolve: () => void } | undefined;
  const follower = new LogFollower(
    { dir, backlog: 2, counts: () => true, pollMs: 10, now: () => now, ...overrides },
    {
      lines: (file, lines) => {
        for (const line of lines) shown.push({ file, line });
        if (waiting && shown.length >= waiting.count) waiting.resolve();
        return undefined;
      },
      log: log.log,
    },
  );
  return {
    dir,
    follower,
    log,
    file: (day: string) => join(dir, `predictions-${day}.jsonl`),
    texts: () => shown.map((s) => s.line.text),
    shown,
    /** resolves once `count` lines have been shown */
    linesShown: (count: number) =>
      new Promise<void>((resolve) => {
        waiting = { count, resolve };
        if (shown.length >= count) resolve();
      }),
    setClock: (iso: string) => {
      now = Date.parse(iso);
    },
  };
}

describe('following the daily prediction log', () => {
  it('starts with the last rows, then shows appended lines, a partial line only once it is complete', async () => {
    const t = setUp();
    mkdirSync(t.dir);
    writeFileSync(t.file('2026-03-01'), 'r1\nr2\nr3\n');
    expect(await t.follower.poll()).toBe(true);
    expect(t.texts()).toEqual(['r2', 'r3']);

    appendFileSync(t.file('2026-03-01'), 'r4\n{"half');
    await t.follower.poll();
    expect(t.texts()).toEqual(['r2', 'r3', 'r4']);

    appendFileSync(t.file('2026-03-01'), ' done"}\nr6\n');
    await t.follower.poll();
    expect(t.texts()).toEqual(['r2', 'r3', 'r4', '{"half done"}', 'r6']);
    expect(t.shown.at(-2)?.line.offset).toBe('r1\nr2\nr3\nr4\n'.length);
    expect(t.log.messages()).toEqual(['reading predictions-2026-03-01.jsonl']);
  });

  it('moves to the next day’s file once it appears after midnight UTC, and still reads late lines of the old one', async () => {
    const t = setUp();
    mkdirSync(t.dir);
    t.setClock('2026-03-01T23:59:59.500Z');
    writeFileSync(t.file('2026-03-01'), 'day1-a\n');
    await t.follower.poll();

    t.setClock('2026-03-02T00:00:00.200Z');
    await t.follower.poll();
    expect(t.follower.file).toBe(t.file('2026-03-01'));

    appendFileSync(t.file('2026-03-01'), 'day1-b\n');
    writeFileSync(t.file('2026-03-02'), 'day2-a\n');
    await t.follower.poll();
    expect(t.follower.file).toBe(t.file('2026-03-02'));
    expect(t.texts()).toEqual(['day1-a', 'day1-b', 'day2-a']);

    appendFileSync(t.file('2026-03-01'), 'day1-late\n');
    appendFileSync(t.file('2026-03-02'), 'day2-b\n');
    await t.follower.poll();
    expect(t.texts()).toEqual(['day1-a', 'day1-b', 'day2-a', 'day1-late', 'day2-b']);
    expect(t.shown.at(-1)?.file).toBe(t.file('2026-03-02'));
    expect(t.log.messages()).toContain('switched to predictions-2026-03-02.jsonl (a new UTC day)');
  });

  it('says the directory does not exist yet, waits, and shows the file from its start once it appears', async () => {
    const t = setUp();
    t.follower.start();
    try {
      await t.log.waitFor(/does not exist yet/);
      expect(t.log.entries[0]?.msg).toMatch(
        /^the directory .*predictions does not exist yet; waiting for it/,
      );

      mkdirSync(t.dir);
      await t.log.waitFor(/predictions-2026-03-01.jsonl does not exist yet/);
      writeFileSync(t.file('2026-03-01'), 'a\nb\nc\n');
      await t.linesShown(3);
    } finally {
      await t.follower.stop();
    }
    expect(t.texts()).toEqual(['a', 'b', 'c']);
    expect(t.log.messages('warn')).toHaveLength(2);
    expect(t.log.messages('info')).toEqual([
      'predictions-2026-03-01.jsonl appeared; following it from the start',
    ]);
  });

  it('names the newest log when today’s is missing, saying so only once', async () => {
    const t = setUp();
    mkdirSync(t.dir);
    writeFileSync(t.file('2026-02-27'), 'old\n');
    writeFileSync(t.file('2026-02-28'), 'old\n');
    expect(await t.follower.poll()).toBe(false);
    expect(await t.follower.poll()).toBe(false);
    expect(t.log.messages()).toEqual([
      `predictions-2026-03-01.jsonl does not exist yet in ${t.dir} (newest: predictions-2026-02-28.jsonl; is the inference service running?)`,
    ]);
  });

  it('stays on the file of --date and never switches', async () => {
    const t = setUp({ date: '2026-02-28' });
    mkdirSync(t.dir);
    writeFileSync(t.file('2026-02-28'), 'feb\n');
    writeFileSync(t.file('2026-03-01'), 'mar\n');
    await t.follower.poll();
    await t.follower.poll();
    expect(t.texts()).toEqual(['feb']);
  });

  it('reads a truncated file again from its start', async () => {
    const t = setUp();
    mkdirSync(t.dir);
    writeFileSync(t.file('2026-03-01'), 'a\nb\n');
    await t.follower.poll();
    truncateSync(t.file('2026-03-01'), 0);
    appendFileSync(t.file('2026-03-01'), 'c\n');
    await t.follower.poll();
    expect(t.texts()).toEqual(['a', 'b', 'c']);
    expect(t.log.messages('warn')).toEqual([
      'predictions-2026-03-01.jsonl was truncated; reading it from the start',
    ]);
  });
});
