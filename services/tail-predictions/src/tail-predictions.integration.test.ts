import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';
import { jsonl, prediction } from './testing/fixtures.ts';

const DAY = '2026-03-01';
const ESC = '\x1b[';

/** A prediction log directory, and the viewer started on it as an operator would. */
function setUp({ createDir = true } = {}) {
  const dir = join(mkdtempSync(join(tmpdir(), 'pdm-tail-it-')), 'predictions');
  if (createDir) mkdirSync(dir);
  const file = join(dir, `predictions-${DAY}.jsonl`);
  const start = (args: readonly string[], env: Record<string, string> = {}) =>
    startService('tail-predictions', ['--date', DAY, '--poll-ms', '50', ...args], {
      PREDICTIONS_DIR: dir,
      ...env,
    });
  return { dir, file, start };
}

const pump = (n: number, overrides: Parameters<typeof prediction>[0] = {}) =>
  prediction({ pump_id: `pump-${String(n).padStart(5, '0')}`, seq: n, ...overrides });
const stdoutLines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('tail-predictions as a program', () => {
  it('exits 2 listing every bad flag, and 0 with --help', async () => {
    const t = setUp();
    const wrong = t.start(['--follow-me', '--lines', 'many']);
    const help = t.start(['--help']);
    expect(await wrong.exited).toBe(2);
    expect(wrong.stderr()).toContain('unknown option --follow-me');
    expect(wrong.stderr()).toContain('--lines: expected a whole number (got "many")');
    expect(wrong.stderr()).toContain('Run with --help for usage.');
    expect(wrong.stdout()).toBe('');
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toContain('Usage: pnpm tail-predictions [options]');
    expect(help.stdout()).toContain('pnpm tail-predictions --state FAULTY,BROKEN');
  });

  it('follows a growing log: last rows first, then appended rows, a split line once, an invalid line reported once', async () => {
    const t = setUp();
    writeFileSync(
      t.file,
      `${jsonl(pump(1), pump(2), pump(3, { state: 'WARNING', raw_state: 'FAULTY' }))}oops\n`,
    );
    const viewer = t.start(['--lines', '2']);
    await viewer.waitForLine(/pump-00003/);
    expect(stdoutLines(viewer.stdout())).toEqual([
      '10:20:30.123  pump-00002  HEALTHY               p=0.91     1.84 mm/s A     3.3 ms  1a2b3c4d',
      '10:20:30.123  pump-00003  WARNING  raw FAULTY   p=0.91     1.84 mm/s A     3.3 ms  1a2b3c4d',
    ]);

    // pump 5's line arrives in two writes; pump 4 showing proves the first half was read on its own.
    const five = jsonl(pump(5, { state: 'BROKEN' }));
    appendFileSync(t.file, jsonl(pump(4)) + five.slice(0, 40));
    await viewer.waitForLine(/pump-00004/);
    appendFileSync(t.file, five.slice(40));
    await viewer.waitForLine(/pump-00005 {2}BROKEN/);

    viewer.signal('SIGINT');
    expect(await viewer.exited).toBe(0);
    expect(stdoutLines(viewer.stdout()).map((l) => l.split(/ +/)[1])).toEqual([
      'pump-00002',
      'pump-00003',
      'pump-00004',
      'pump-00005',
    ]);
    expect(viewer.stdout()).not.toContain(ESC);
    const skipped = viewer.logs().filter((l) => l.msg === 'skipped an invalid row');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ reason: 'not_json', sample: 'oops', file: t.file });
  });

  it('says when the directory does not exist yet, and shows the log once it appears', async () => {
    const t = setUp({ createDir: false });
    const viewer = t.start([]);
    const line = await viewer.waitForLine(/does not exist yet/);
    expect(line).toContain(`the directory ${t.dir} does not exist yet; waiting for it`);
    mkdirSync(t.dir);
    writeFileSync(t.file, jsonl(pump(7)));
    await viewer.waitForLine(/pump-00007/);
    viewer.signal('SIGTERM');
    expect(await viewer.exited).toBe(0);
  });

  it('passes the matching rows through unchanged with --json, and colours only on request', async () => {
    const t = setUp();
    const rows = [
      pump(1, { state: 'FAULTY' }),
      pump(2, { state: 'HEALTHY' }),
      pump(120, { state: 'BROKEN' }),
      pump(3, { state: 'BROKEN' }),
    ];
    writeFileSync(t.file, jsonl(...rows));
    const json = t.start([
      '--json',
      '--no-follow',
      '--pump',
      'pump-000*',
      '--state',
      'faulty',
      '--state',
      'BROKEN',
    ]);
    // --color wins over NO_COLOR; without it a pipe gets no colour (see the test above).
    const coloured = t.start(['--no-follow', '--color', '--lines', '1'], { NO_COLOR: '1' });
    expect(await json.exited).toBe(0);
    expect(json.stdout()).toBe(jsonl(rows[0] as object, rows[3] as object));
    expect(await coloured.exited).toBe(0);
    expect(coloured.stdout()).toContain(`${ESC}1;7;31mBROKEN${ESC}0m`);
  });

  it('exits 1 with --no-follow when the day has no log', async () => {
    const t = setUp();
    const viewer = t.start(['--no-follow']);
    expect(await viewer.exited).toBe(1);
    expect(viewer.stderr()).toContain(
      `predictions-${DAY}.jsonl does not exist yet in ${t.dir} (no prediction log yet)`,
    );
  });

  it('ends quietly with 0 when the reader goes away, as with | head', async () => {
    const t = setUp();
    writeFileSync(t.file, jsonl(pump(1), pump(2)));
    const viewer = t.start([]);
    await viewer.waitForLine(/pump-00002/);
    viewer.child.stdout?.destroy();
    appendFileSync(t.file, jsonl(pump(3)));
    expect(await viewer.exited).toBe(0);
    expect(viewer.logs().filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(viewer.stderr()).not.toMatch(/EPIPE|Error/);
  });
});
