import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertSchema, predictionSchema } from '@pdm/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { SampleStore, StoreError } from './index.ts';
import {
  alert,
  MODEL,
  prediction,
  RUL_MODEL,
  recovery,
  rulLow,
  rulPrediction,
  T0,
  telemetry,
} from './testing/records.ts';

const dirs: string[] = [];
function openStore(): SampleStore {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-history-'));
  dirs.push(dir);
  return SampleStore.open(join(dir, 'pdm.sqlite'));
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const S = 1000;

describe('predictions and alerts in the SQLite store', () => {
  it('writes samples, predictions, alerts and dead letters in one transaction and reads them back as the contract has them', () => {
    const store = openStore();
    const p = prediction('p1', T0);
    const a = alert('p1', T0);
    const result = store.write({
      samples: [{ sample: telemetry('p1', T0), source: 'telemetry' }],
      predictions: [{ prediction: p }],
      alerts: [{ alert: a }],
      deadLetters: [
        {
          origin: 'mqtt',
          topic: 't',
          reason: 'not_json',
          detail: 'x',
          payload: Buffer.from('{'),
          payloadBytes: 1,
        },
      ],
    });
    expect(result).toEqual({
      samples: { inserted: 1, duplicates: 0, conflicts: [] },
      predictions: { inserted: 1, duplicates: 0 },
      alerts: { inserted: 1, duplicates: 0 },
      deadLetters: 1,
    });
    const [read] = [...store.iteratePredictions('p1', T0, T0 + 1)];
    expect(read).toEqual(p);
    expect(predictionSchema.parse(read)).toEqual(p);
    const [readAlert] = store.alerts({ limit: 10 });
    expect(readAlert).toEqual(a);
    expect(alertSchema.parse(readAlert)).toEqual(a);
    store.close();
  });

  it('keeps each probability exactly, 0 as 0, and a class the model does not know absent', () => {
    const store = openStore();
    const odd = [0.1 + 0.2, 1 / 3, 1e-9, 0.9999];
    const predictions = [
      prediction('p', T0, { probabilities: { HEALTHY: 1, WARNING: 0, FAULTY: 0, BROKEN: 0 } }),
      prediction('p', T0 + S, { probabilities: { HEALTHY: 0.7, FAULTY: 0.3 } }),
      prediction('p', T0 + 2 * S, {
        probabilities: { HEALTHY: odd[0], WARNING: odd[1], FAULTY: odd[2], BROKEN: odd[3] },
      }),
      prediction('p', T0 + 3 * S, { probabilities: {} }),
    ];
    store.write({ predictions: predictions.map((p) => ({ prediction: p })) });
    const read = [...store.iteratePredictions('p', T0, T0 + 10 * S)];
    expect(read.map((p) => p.probabilities)).toEqual(predictions.map((p) => p.probabilities));
    expect(Object.keys(read[1]?.probabilities ?? {}).sort()).toEqual(['FAULTY', 'HEALTHY']);
    store.close();
  });

  it('stores a redelivered or re-predicted prediction once, and the first copy stays', () => {
    const store = openStore();
    const first = prediction('p', T0, { latency_ms: 3.41 });
    store.write({ predictions: [{ prediction: first }, { prediction: prediction('p', T0 + S) }] });
    const again = store.write({
      predictions: [
        { prediction: first },
        // after a crash inference predicts the sample again: another latency, maybe another state
        { prediction: { ...first, latency_ms: 17.2, state: 'WARNING' } },
        { prediction: prediction('p', T0 + 2 * S) },
      ],
    });
    expect(again.predictions).toEqual({ inserted: 1, duplicates: 2 });
    expect(store.countPredictions()).toBe(3);
    expect(store.countPredictions('p')).toBe(3);
    expect(store.countPredictions('other')).toBe(0);
    expect(store.lastPredictions('p', T0 + 1, 10)).toEqual([first]);
    store.close();
  });

  it('stores an alert per pump, time and kind: a redelivery once, an alarm and a recovery at one time both', () => {
    const store = openStore();
    const alarm = alert('p', T0);
    const recovered = recovery('p', T0);
    expect(store.write({ alerts: [{ alert: alarm }, { alert: recovered }] }).alerts).toEqual({
      inserted: 2,
      duplicates: 0,
    });
    expect(
      store.write({ alerts: [{ alert: alarm }, { alert: { ...alarm, state: 'BROKEN' } }] }).alerts,
    ).toEqual({
      inserted: 0,
      duplicates: 2,
    });
    expect(store.alerts({ limit: 10 })).toEqual([recovered, alarm]);
    expect(store.countAlerts()).toBe(2);
    store.close();
  });

  it('forgets nothing of a failed transaction: it stores none of the batch, and the next batch is stored whole', () => {
    const store = openStore();
    const broken = { ...prediction('p', T0, { model_version: 'new-model' }), vibration_rms: undefined };
    expect(() =>
      store.write({
        samples: [{ sample: telemetry('p', T0), source: 'telemetry' }],
        predictions: [{ prediction: broken as unknown as ReturnType<typeof prediction> }],
      }),
    ).toThrow(/NOT NULL/);
    expect(store.count()).toBe(0);
    expect(store.modelVersions()).toEqual([]);
    const good = prediction('p', T0, { model_version: 'new-model' });
    expect(store.write({ predictions: [{ prediction: good }] }).predictions.inserted).toBe(1);
    expect(store.latestPredictions()).toEqual([good]);
    expect(store.modelVersions()).toEqual([{ version: 'new-model', firstSeen: T0, lastSeen: T0 }]);
    store.close();
  });

  it('reads the latest prediction of every pump by device time, whatever order they arrived in', () => {
    const store = openStore();
    store.write({
      predictions: [
        prediction('b', T0 + 5 * S, { state: 'FAULTY' }),
        prediction('a', T0 + 2 * S),
        prediction('b', T0 + 3 * S),
        prediction('a', T0 + S),
        prediction('c', T0),
      ].map((p) => ({ prediction: p })),
    });
    expect(store.latestPredictions().map((p) => [p.pump_id, p.ts, p.state])).toEqual([
      ['a', T0 + 2 * S, 'HEALTHY'],
      ['b', T0 + 5 * S, 'FAULTY'],
      ['c', T0, 'HEALTHY'],
    ]);
    store.close();
  });

  it('reads one pump’s predictions in a range ascending, and its last ones before a time newest first', () => {
    const store = openStore();
    const all = [0, 1, 2, 3, 4, 5].map((i) => prediction('p', T0 + i * S, { seq: i }));
    store.write({
      predictions: [...all, prediction('other', T0 + 2 * S)].reverse().map((p) => ({ prediction: p })),
    });
    expect([...store.iteratePredictions('p', T0 + S, T0 + 4 * S)].map((p) => p.seq)).toEqual([1, 2, 3]);
    expect(store.lastPredictions('p', T0 + 4 * S, 2).map((p) => p.seq)).toEqual([3, 2]);
    expect(store.lastPredictions('p', T0 + 100 * S, 100)).toEqual([...all].reverse());
    expect(store.lastPredictions('nobody', T0 + 100 * S, 10)).toEqual([]);
    store.close();
  });

  it('filters alerts by pump, kind and time, newest first, up to the limit', () => {
    const store = openStore();
    const alerts = [
      alert('a', T0),
      recovery('a', T0 + 10 * S),
      alert('b', T0 + 5 * S),
      alert('b', T0 + 20 * S, { state: 'BROKEN', previous_state: 'FAULTY' }),
    ];
    store.write({ alerts: alerts.map((a) => ({ alert: a })) });
    const key = (list: { pump_id: string; ts: number }[]) =>
      list.map((a) => `${a.pump_id}@${(a.ts - T0) / S}`);
    expect(key(store.alerts({ limit: 10 }))).toEqual(['b@20', 'a@10', 'b@5', 'a@0']);
    expect(key(store.alerts({ limit: 2 }))).toEqual(['b@20', 'a@10']);
    expect(key(store.alerts({ pumpId: 'a', limit: 10 }))).toEqual(['a@10', 'a@0']);
    expect(key(store.alerts({ kind: 'alarm', limit: 10 }))).toEqual(['b@20', 'b@5', 'a@0']);
    expect(key(store.alerts({ fromMs: T0 + 5 * S, toMs: T0 + 20 * S, limit: 10 }))).toEqual(['a@10', 'b@5']);
    expect(key(store.alerts({ pumpId: 'b', kind: 'alarm', fromMs: T0 + 6 * S, limit: 10 }))).toEqual([
      'b@20',
    ]);
    store.close();
  });

  it('lists as open alarms the pumps whose latest alert is an alarm, newest first', () => {
    const store = openStore();
    store.write({
      alerts: [
        alert('recovered-pump', T0),
        recovery('recovered-pump', T0 + 9 * S),
        alert('escalated', T0 + S),
        alert('escalated', T0 + 3 * S, { state: 'BROKEN', previous_state: 'FAULTY' }),
        alert('alarmed', T0 + 2 * S),
      ].map((a) => ({ alert: a })),
    });
    expect(store.openAlarms().map((a) => [a.pump_id, a.state])).toEqual([
      ['escalated', 'BROKEN'],
      ['alarmed', 'FAULTY'],
    ]);
    store.close();
  });

  it('lists a rul_low as open beside an alarm of the same pump, until a recovery closes both', () => {
    const store = openStore();
    store.write({
      alerts: [
        alert('both', T0),
        rulLow('both', T0 + S, 4.5, { state: 'FAULTY', previous_state: 'FAULTY' }),
        rulLow('planned', T0 + 2 * S, 9),
        rulLow('repaired', T0, 2),
        alert('repaired', T0 + S, { state: 'BROKEN', previous_state: 'FAULTY' }),
        recovery('repaired', T0 + 5 * S, { previous_state: 'BROKEN' }),
      ].map((a) => ({ alert: a })),
    });
    expect(store.openAlarms().map((a) => [a.pump_id, a.kind, a.evidence.rul_h])).toEqual([
      ['planned', 'rul_low', 9],
      ['both', 'rul_low', 4.5],
      ['both', 'alarm', undefined],
    ]);
    store.close();
  });

  it('reads back a prediction’s remaining useful life and RUL model, and none where no RUL model served', () => {
    const store = openStore();
    const withRul = rulPrediction('p', T0 + S, 12.345);
    const without = prediction('p', T0);
    store.write({ predictions: [without, withRul].map((p) => ({ prediction: p })) });
    expect([...store.iteratePredictions('p', T0, T0 + 2 * S)]).toStrictEqual([without, withRul]);
    expect(store.lastPredictions('p', T0 + 2 * S, 1)).toStrictEqual([withRul]);
    expect(store.latestPredictions()).toStrictEqual([withRul]);
    expect(predictionSchema.parse(store.latestPredictions()[0])).toEqual(withRul);
    // Acquisition forwards a row stored without its line from the record: the RUL goes along.
    expect(store.nextOutboxBatch('predictions', 10)?.rows).toStrictEqual([
      { prediction: without },
      { prediction: withRul },
    ]);
    store.close();
  });

  it('stores a rul_low alert with its evidence’s rul_h, and filters alerts by that kind', () => {
    const store = openStore();
    const low = rulLow('p', T0 + S, 7.25);
    store.write({ alerts: [{ alert: alert('p', T0) }, { alert: low }] });
    expect(store.alerts({ kind: 'rul_low', limit: 10 })).toStrictEqual([low]);
    expect(alertSchema.parse(store.alerts({ limit: 1 })[0])).toEqual(low);
    expect(store.countAlerts('p')).toBe(2);
    store.close();
  });

  it('keeps the RUL model’s versions apart from the state model’s, each with when it was seen', () => {
    const store = openStore();
    store.write({
      predictions: [
        prediction('p', T0),
        rulPrediction('p', T0 + S, 30),
        rulPrediction('p', T0 + 9 * S, 20),
      ].map((p) => ({ prediction: p })),
    });
    expect(store.modelVersions()).toEqual([{ version: MODEL, firstSeen: T0, lastSeen: T0 + 9 * S }]);
    expect(store.modelVersions('regression')).toEqual([
      { version: RUL_MODEL, firstSeen: T0 + S, lastSeen: T0 + 9 * S },
    ]);
    store.close();
  });

  it('keeps each model version once with the device time it was first and last seen, oldest first', () => {
    const store = openStore();
    store.write({
      predictions: [
        prediction('a', T0 + 10 * S, { model_version: 'v2' }),
        prediction('a', T0 + 5 * S),
        prediction('b', T0 + 7 * S),
      ].map((p) => ({ prediction: p })),
    });
    store.write({
      predictions: [prediction('b', T0 + 30 * S, { model_version: 'v2' }), prediction('c', T0 + S)].map(
        (p) => ({
          prediction: p,
        }),
      ),
      alerts: [{ alert: alert('c', T0 + 40 * S, { model_version: 'v2' }) }],
    });
    expect(store.modelVersions()).toEqual([
      { version: MODEL, firstSeen: T0 + S, lastSeen: T0 + 7 * S },
      { version: 'v2', firstSeen: T0 + 10 * S, lastSeen: T0 + 40 * S },
    ]);
    store.close();
  });

  it('sums up the dead letters by origin and reason, with the newest ones', () => {
    const store = openStore();
    const letter = (reason: string, origin: 'mqtt' | 'influxdb' = 'mqtt') => ({
      origin,
      topic: origin === 'mqtt' ? 'pdm/v1/telemetry/p' : null,
      reason,
      detail: `${reason} detail`,
      payload: Buffer.from('x'),
      payloadBytes: 1,
    });
    store.write({ deadLetters: [letter('not_json'), letter('non_finite')] }, T0);
    store.write({ deadLetters: [letter('not_json'), letter('influxdb_400', 'influxdb')] }, T0 + S);
    expect(store.deadLetterSummary(2)).toEqual({
      byReason: [
        { origin: 'mqtt', reason: 'not_json', count: 2 },
        { origin: 'influxdb', reason: 'influxdb_400', count: 1 },
        { origin: 'mqtt', reason: 'non_finite', count: 1 },
      ],
      recent: [
        {
          receivedAt: T0 + S,
          origin: 'influxdb',
          topic: null,
          reason: 'influxdb_400',
          detail: 'influxdb_400 detail',
        },
        {
          receivedAt: T0 + S,
          origin: 'mqtt',
          topic: 'pdm/v1/telemetry/p',
          reason: 'not_json',
          detail: 'not_json detail',
        },
      ],
    });
    store.close();
  });

  it('reads one pump’s samples in a range as [ts, ...channels] in the order asked, ascending', () => {
    const store = openStore();
    const samples = [3, 0, 2, 1, 4].map((i) => telemetry('p', T0 + i * S));
    store.write({
      samples: [...samples, telemetry('q', T0 + S)].map((sample) => ({
        sample,
        source: 'telemetry' as const,
      })),
    });
    const rows = [...store.iterateSampleValues('p', T0 + S, T0 + 4 * S, ['temperature', 'vibration_x'])];
    expect(rows).toEqual(
      [1, 2, 3].map((i) => {
        const s = telemetry('p', T0 + i * S);
        return [s.ts, s.temperature, s.vibration_x];
      }),
    );
    expect([...store.iterateSampleValues('p', T0, T0 + 10 * S, [])]).toEqual(
      [0, 1, 2, 3, 4].map((i) => [T0 + i * S]),
    );
    expect(() =>
      store.iterateSampleValues('p', T0, T0 + S, ['temperature', 'x; DROP TABLE samples' as 'rpm']),
    ).toThrow(new StoreError('bad_request', 'unknown channels: x; DROP TABLE samples'));
    store.close();
  });
});
