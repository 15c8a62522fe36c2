import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHANNELS, type Prediction } from '@pdm/contract';
import { SampleStore } from '@pdm/store';
import { alert, MODEL, prediction, T0, telemetry } from '@pdm/store/testing';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_POINTS } from '../api/contract.ts';
import { seriesOf, statesOf } from '../pump-history.ts';
import { type History, HistoryUnavailableError } from './history.ts';
import { createSqliteHistory } from './sqlite.ts';

const silent = pino({ level: 'silent' });
const HOUR = 3_600_000;

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

describe('the SQLite history', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  function storeIn(): { path: string; writer: SampleStore } {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-dashboard-sqlite-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'pdm.sqlite');
    const writer = SampleStore.open(path);
    cleanup.push(() => writer.close());
    return { path, writer };
  }

  function historyOf(path: string, retryMs = 60_000): History {
    const history = createSqliteHistory(path, silent, { retryMs });
    cleanup.push(() => history.close());
    return history;
  }

  it('waits for a store acquisition has not created yet, says why, and reads it once it is there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-dashboard-sqlite-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'pdm.sqlite');
    const history = historyOf(path, 20);
    expect(history.availability?.()).toMatch(/no SQLite store at/);
    expect(await history.latestPredictions()).toEqual([]);
    await expect(history.alerts({ limit: 10 })).rejects.toBeInstanceOf(HistoryUnavailableError);
    await expect(collect(history.samples('p1', 0, 1, CHANNELS))).rejects.toBeInstanceOf(
      HistoryUnavailableError,
    );

    const writer = SampleStore.open(path);
    cleanup.push(() => writer.close());
    writer.write({ predictions: [{ prediction: prediction('p1', T0) }] });
    // The retry runs on a timer: wait for it rather than for a fixed time.
    while (history.availability?.() !== 'ok') await new Promise((r) => setTimeout(r, 10));
    expect((await history.latestPredictions()).map((p) => p.pump_id)).toEqual(['p1']);
  });

  it('reads back what acquisition stored: samples, predictions, alerts, model versions, dead letters', async () => {
    const { path, writer } = storeIn();
    const seconds = Array.from({ length: 60 }, (_, i) => T0 + i * 1000);
    writer.write({
      samples: [...seconds.map((ts) => ({ sample: telemetry('p1', ts), source: 'telemetry' as const }))],
      predictions: [
        ...seconds.map((ts) => ({ prediction: prediction('p1', ts) })),
        { prediction: prediction('p2', T0, { state: 'BROKEN', model_version: 'next#00000001' }) },
      ],
      alerts: [
        { alert: alert('p1', T0 + 10_000) },
        {
          alert: alert('p1', T0 + 50_000, { kind: 'recovered', state: 'HEALTHY', previous_state: 'FAULTY' }),
        },
        { alert: alert('p2', T0 + 20_000) },
      ],
      deadLetters: [
        {
          origin: 'mqtt',
          topic: 'pdm/v1/telemetry/p1',
          reason: 'not_json',
          detail: 'Unexpected token',
          payload: Buffer.from('{'),
          payloadBytes: 1,
        },
      ],
    });
    const history = historyOf(path);

    const rows = await collect(history.samples('p1', T0 + 5000, T0 + 8000, ['temperature', 'rpm']));
    const t = telemetry('p1', T0 + 5000);
    expect(rows).toEqual([
      [T0 + 5000, t.temperature, t.rpm],
      [T0 + 6000, telemetry('p1', T0 + 6000).temperature, t.rpm],
      [T0 + 7000, telemetry('p1', T0 + 7000).temperature, t.rpm],
    ]);
    const predictions = await collect(history.predictions('p1', T0, T0 + 3000));
    expect(predictions).toEqual([
      prediction('p1', T0),
      prediction('p1', T0 + 1000),
      prediction('p1', T0 + 2000),
    ]);
    expect((await history.lastPredictions('p1', T0 + 30_000, 2)).map((p: Prediction) => p.ts)).toEqual([
      T0 + 29_000,
      T0 + 28_000,
    ]);
    expect((await history.latestPredictions()).map((p) => [p.pump_id, p.ts])).toEqual([
      ['p1', T0 + 59_000],
      ['p2', T0],
    ]);
    expect((await history.alerts({ pumpId: 'p1', limit: 10 })).map((a) => a.kind)).toEqual([
      'recovered',
      'alarm',
    ]);
    expect(
      (await history.alerts({ kind: 'alarm', fromMs: T0 + 15_000, limit: 10 })).map((a) => a.pump_id),
    ).toEqual(['p2']);
    expect((await history.openAlarms()).map((a) => a.pump_id)).toEqual(['p2']);
    expect((await history.modelVersions()).map((m) => m.version)).toEqual([MODEL, 'next#00000001']);
    expect(await history.deadLetters(5)).toMatchObject({
      byReason: [{ origin: 'mqtt', reason: 'not_json', count: 1 }],
      recent: [{ topic: 'pdm/v1/telemetry/p1', reason: 'not_json' }],
    });
  });

  it('downsamples a day of 1 Hz samples to at most MAX_POINTS points with the true extremes', async () => {
    const { path, writer } = storeIn();
    const day = Array.from({ length: 86_400 }, (_, i) => T0 + i * 1000);
    for (let i = 0; i < day.length; i += 10_000)
      writer.write({
        samples: day
          .slice(i, i + 10_000)
          .map((ts) => ({ sample: telemetry('p1', ts), source: 'telemetry' as const })),
      });
    const history = historyOf(path);
    const series = await seriesOf(history, 'p1', { fromMs: T0, toMs: T0 + 24 * HOUR });
    expect(series.bucketMs).toBeGreaterThan(0);
    expect(series.t.length).toBeLessThanOrEqual(MAX_POINTS);
    // temperature is 50 + (t mod 11) / 10: every bucket of 44 s sees its whole cycle.
    expect(Math.min(...series.min.temperature)).toBeCloseTo(50);
    expect(Math.max(...series.max.temperature)).toBeCloseTo(51);
    expect(series.min.rpm.every((v) => v === 2957.7)).toBe(true);
    // A range holding fewer samples than MAX_POINTS comes as it is.
    const short = await seriesOf(history, 'p1', { fromMs: T0, toMs: T0 + 10 * 60_000 });
    expect(short.bucketMs).toBe(0);
    expect(short.t).toHaveLength(600);
  });

  it('draws the state timeline as the worst state and the highest probability of each bucket', async () => {
    const { path, writer } = storeIn();
    const at = (s: number) => T0 + s * 1000;
    writer.write({
      predictions: [
        { prediction: prediction('p1', at(0), { state: 'HEALTHY', raw_state: 'WARNING' }) },
        {
          prediction: prediction('p1', at(1), {
            state: 'FAULTY',
            raw_state: 'HEALTHY',
            probabilities: { HEALTHY: 0.1, FAULTY: 0.9 },
          }),
        },
        { prediction: prediction('p1', at(5), { state: 'WARNING', raw_state: 'WARNING' }) },
      ],
      alerts: [{ alert: alert('p1', at(1)) }],
    });
    const history = historyOf(path);
    // Three predictions into at most 2 points: one aligned bucket of 10 s.
    const states = await statesOf(history, 'p1', { fromMs: at(0), toMs: at(10) }, 2);
    expect(states.bucketMs).toBe(10_000);
    expect(states.t).toEqual([Math.floor(at(0) / 10_000) * 10_000]);
    expect(states.state).toEqual([2]); // FAULTY
    expect(states.rawState).toEqual([1]); // WARNING
    expect(states.probabilities.FAULTY).toEqual([0.9]);
    expect(states.probabilities.BROKEN).toEqual([0]);
    expect(states.alerts.map((a) => [a.pumpId, a.kind])).toEqual([['p1', 'alarm']]);

    const raw = await statesOf(history, 'p1', { fromMs: at(0), toMs: at(10) });
    expect(raw.bucketMs).toBe(0);
    expect(raw.state).toEqual([0, 2, 1]);
    expect(raw.probabilities.WARNING).toEqual([0.4679, null, 0.4679]);
    expect(raw.rulH).toEqual([null, null, null]);
  });

  it('draws the RUL as the lowest of each bucket, with gaps where no RUL model served', async () => {
    const { path, writer } = storeIn();
    const at = (s: number) => T0 + s * 1000;
    const rul = (s: number, rulH: number) =>
      prediction('p1', at(s), { rul_h: rulH, rul_model_version: 'rul-v1' });
    writer.write({
      predictions: [rul(0, 30), rul(1, 29.5), prediction('p1', at(12)), rul(13, 20), rul(14, 21)].map(
        (p) => ({ prediction: p }),
      ),
    });
    const history = historyOf(path);
    const raw = await statesOf(history, 'p1', { fromMs: at(0), toMs: at(20) });
    expect(raw.rulH).toEqual([30, 29.5, null, 20, 21]);
    // two aligned buckets of 10 s: the lowest RUL in each
    const bucketed = await statesOf(history, 'p1', { fromMs: at(0), toMs: at(20) }, 3);
    expect(bucketed.bucketMs).toBe(10_000);
    expect(bucketed.rulH).toEqual([29.5, 20]);
  });
});
