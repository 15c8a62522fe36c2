import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pdm/service-kit';
import { SampleStore } from '@pdm/store';
import { alert, prediction } from '@pdm/store/testing';
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

  it('exports the same training set when the store also holds the fleet’s telemetry, predictions and alerts', async () => {
    const fleet = [...labelledFleet({ pumps: 4, etaH: 30, seed: 6 })];
    const labelledOnly = mkdtempSync(join(root, 'labelled-'));
    fillStore(join(labelledOnly, 'pdm.sqlite'), fleet);
    const everything = mkdtempSync(join(root, 'everything-'));
    fillStore(join(everything, 'pdm.sqlite'), fleet);
    // The production fleet's telemetry (its own pump ids: the export feeds a pump's every sample into
    // its feature window, as inference does, so only another pump's rows can leave a training set as it
    // was), and inference's predictions and alerts for the training pumps and the production ones.
    const store = SampleStore.open(join(everything, 'pdm.sqlite'));
    const production = fleet.map(({ state: _s, health_pct: _h, rul_h: _r, failure_mode: _f, ...t }) => ({
      ...t,
      pump_id: `pump-${t.pump_id}`,
      vibration_rms: t.vibration_rms * 3,
    }));
    store.write({
      samples: production.map((sample) => ({ sample, source: 'telemetry' as const })),
      predictions: [...fleet, ...production].map((t) => ({
        prediction: prediction(t.pump_id, t.ts, { seq: t.seq, state: 'BROKEN' }),
      })),
      alerts: production.filter((_, i) => i % 10 === 0).map((t) => ({ alert: alert(t.pump_id, t.ts) })),
    });
    expect(store.count()).toBe(2 * fleet.length);
    store.close();

    for (const balance of ['undersample', 'none'] as const) {
      const a = await run(labelledOnly, { balance, out: join(labelledOnly, `${balance}.csv`) }).start();
      const b = await run(everything, { balance, out: join(everything, `${balance}.csv`) }).start();
      expect(b.written, balance).toBe(a.written);
      expect(b.exported, balance).toEqual(a.exported);
      expect(readFileSync(join(everything, `${balance}.csv`), 'utf8'), balance).toBe(
        readFileSync(join(labelledOnly, `${balance}.csv`), 'utf8'),
      );
    }
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
