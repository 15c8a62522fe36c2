import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Prediction } from '@pdm/contract';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, csvRow, openPredictionFiles, PredictionLog } from './prediction-log.ts';

const prediction: Prediction = {
  pump_id: 'pump-007',
  ts: 1_767_225_600_000,
  seq: 42,
  state: 'WARNING',
  raw_state: 'FAULTY',
  probabilities: { HEALTHY: 0.1, WARNING: 0.3, FAULTY: 0.6 },
  vibration_rms: 4.2,
  iso_zone: 'B',
  model_version: '2026-01-01T00:00:00Z#abcd1234',
  latency_ms: 3.25,
};

describe('prediction log', () => {
  it('puts every field of a prediction under its own CSV column', () => {
    const columns = CSV_HEADER.split(',');
    const cells = csvRow(prediction).trimEnd().split(',');
    expect(Object.fromEntries(columns.map((c, i) => [c, cells[i]]))).toEqual({
      ts: '1767225600000',
      pump_id: 'pump-007',
      seq: '42',
      state: 'WARNING',
      raw_state: 'FAULTY',
      p_HEALTHY: '0.1',
      p_WARNING: '0.3',
      p_FAULTY: '0.6',
      p_BROKEN: '',
      vibration_rms: '4.2',
      iso_zone: 'B',
      model_version: '2026-01-01T00:00:00Z#abcd1234',
      latency_ms: '3.25',
      rul_h: '',
      rul_model_version: '',
    });
    expect(cells).toHaveLength(columns.length);
  });

  it('puts the RUL and its model in the last two columns while a RUL model serves', () => {
    const cells = csvRow({ ...prediction, rul_h: 12.345, rul_model_version: '2026-01-02T00:00:00Z#ffff0000' })
      .trimEnd()
      .split(',');
    expect(cells.slice(-2)).toEqual(['12.345', '2026-01-02T00:00:00Z#ffff0000']);
    expect(CSV_HEADER.split(',').slice(-2)).toEqual(['rul_h', 'rul_model_version']);
  });

  it('writes a batch as the same rows in JSON Lines and in CSV, under one header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-prediction-log-'));
    const files = openPredictionFiles(dir, 30);
    const log = new PredictionLog(files);
    const now = Date.parse('2026-03-01T10:00:00Z');
    for (const seq of [1, 2]) {
      const p = { ...prediction, seq };
      log.add(p, JSON.stringify(p));
    }
    log.flush(now);
    log.flush(now);
    await Promise.all([files.jsonl.close(), files.csv.close()]);
    expect(readdirSync(dir).sort()).toEqual(['predictions-2026-03-01.csv', 'predictions-2026-03-01.jsonl']);
    const jsonl = readFileSync(join(dir, 'predictions-2026-03-01.jsonl'), 'utf8').trimEnd().split('\n');
    const csv = readFileSync(join(dir, 'predictions-2026-03-01.csv'), 'utf8').trimEnd().split('\n');
    expect(jsonl.map((l) => (JSON.parse(l) as Prediction).seq)).toEqual([1, 2]);
    expect(csv).toEqual([CSV_HEADER, ...[1, 2].map((seq) => csvRow({ ...prediction, seq }).trimEnd())]);
  });
});
