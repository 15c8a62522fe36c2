import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pdm/service-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { createExport, type ExportSettings } from './app.ts';
import { fillStore, labelledFleet } from './fixtures.ts';
import type { ExportReporter } from './report.ts';
import { openSqliteSource } from './source.ts';

const root = mkdtempSync(join(tmpdir(), 'pdm-app-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const logger = createLogger({ name: 'export-test', level: 'silent' });
const quiet: ExportReporter = { counted: () => {}, progress: () => {}, finished: () => {} };

function settings(dir: string, overrides: Partial<ExportSettings> = {}): ExportSettings {
  return {
    filter: {},
    balance: 'undersample',
    seed: 1,
    format: 'csv',
    out: join(dir, 'out', 'training.csv'),
    ...overrides,
  };
}

function run(dir: string, overrides: Partial<ExportSettings> = {}, reporter = quiet) {
  const path = join(dir, 'pdm.sqlite');
  return createExport(settings(dir, overrides), {
    openSource: () => openSqliteSource(path),
    reporter,
    logger,
    maxRssMb: () => 0,
  });
}

describe('export', () => {
  it('removes its unfinished file when stopped in the middle of the pass', async () => {
    const dir = mkdtempSync(join(root, 'stop-'));
    fillStore(join(dir, 'pdm.sqlite'), labelledFleet({ pumps: 5, etaH: 400 }));
    let stop = () => {};
    const exporter = run(
      dir,
      { balance: 'none' },
      { ...quiet, progress: (phase, rows) => phase === 'exporting' && rows > 0 && stop() },
    );
    stop = exporter.stop;
    await expect(exporter.start()).rejects.toMatchObject({ code: 'aborted' });
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });

  it('refuses a range with raw telemetry only, saying there is no ground truth in it', async () => {
    const dir = mkdtempSync(join(root, 'raw-'));
    const raw = [...labelledFleet({ pumps: 2, etaH: 5 })].map(
      ({ state: _s, health_pct: _h, rul_h: _r, failure_mode: _f, ...t }) => t,
    );
    fillStore(join(dir, 'pdm.sqlite'), raw as never, 'telemetry');
    for (const balance of ['undersample', 'none'] as const) {
      const failure = run(dir, { balance }).start();
      await expect(failure).rejects.toMatchObject({ code: 'no_rows' });
      await expect(failure).rejects.toThrow(
        /no labelled samples in SQLite store .*pdm\.sqlite at any time \(only \d+ unlabelled/,
      );
    }
    expect(existsSync(join(dir, 'out', 'training.csv'))).toBe(false);
  });

  it('counts states in the pass itself when it keeps every row, and reports the same as a count would', async () => {
    const dir = mkdtempSync(join(root, 'none-'));
    fillStore(join(dir, 'pdm.sqlite'), labelledFleet({ pumps: 4, etaH: 30 }));
    const all = await run(dir, { balance: 'none', out: join(dir, 'all.csv') }).start();
    const capped = await run(dir, {
      balance: 'none',
      maxPerClass: 1_000_000,
      out: join(dir, 'capped.csv'),
    }).start();
    expect(all.inRange).toEqual(capped.inRange);
    expect(all.exported).toEqual(all.inRange);
    expect(all.written).toBe(all.rows);
  });
});
