/**
 * The dashboard's queries as shared tests: dashboard-reader.test.ts runs them against the fake InfluxDB
 * and influx.contract.test.ts against a real one, so that the fake's Flux cannot drift from InfluxDB's.
 * Points are written as acquisition writes them and read back through dashboard-reader.ts. Every test
 * writes its own pumps and model versions, so runs can share a real bucket; the fleet-wide queries are
 * narrowed to them before comparing.
 */
import { randomUUID } from 'node:crypto';
import type { Alert } from '@pdm/contract';
import { expect, it } from 'vitest';
import {
  queryAlerts,
  queryLastPredictions,
  queryLatestPredictions,
  queryModelVersions,
  queryOpenAlarms,
  queryPredictions,
  querySamples,
} from './dashboard-reader.ts';
import type { InfluxTarget } from './http.ts';
import { encodeSample } from './line-protocol.ts';
import { alert, alertLine, collect, prediction, predictionLine, sample } from './testing/index.ts';
import { createInfluxWriter } from './writer.ts';

export interface DashboardSuite {
  /** every pump id the tests wrote, for a cleanup against a shared bucket */
  readonly pumpIds: ReadonlySet<string>;
}

export function dashboardSuite(target: () => InfluxTarget): DashboardSuite {
  const pumpIds = new Set<string>();
  /** Pump ids (and a prefix for model versions) no other test or run uses. */
  const names = <const T extends string>(...labels: T[]) => {
    const run = `db-${randomUUID().slice(0, 8)}`;
    const ids = Object.fromEntries(labels.map((l) => [l, `${run}-${l}`])) as Record<T, string>;
    for (const id of Object.values<string>(ids)) pumpIds.add(id);
    return { run, ...ids };
  };
  // A recent whole minute: inside any bucket's retention and any lookback.
  const base = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  const write = async (lines: readonly string[]) => {
    const outcome = await createInfluxWriter({ ...target(), timeoutMs: 10_000 }).write(lines);
    expect(outcome).toEqual({ kind: 'ok' });
  };
  const mine = <T extends { pump_id: string }>(rows: readonly T[], ...ids: string[]) =>
    rows.filter((r) => ids.includes(r.pump_id));

  it('reads one pump’s samples in [from, to), ascending, with the channels in the order asked for', async () => {
    const p = names('a', 'b');
    const samples = [3000, 0, 2000, 1000, 4000].map((dt) => sample(p.a, base + dt));
    await write([...samples, sample(p.b, base + 1000)].map(encodeSample));
    const rows = await collect(
      querySamples(target(), {
        pumpId: p.a,
        fromMs: base + 1000,
        toMs: base + 4000,
        channels: ['temperature', 'vibration_x', 'flow'],
      }),
    );
    expect(rows).toEqual(
      [1000, 2000, 3000].map((dt) => {
        const s = sample(p.a, base + dt);
        return [s.ts, s.temperature, s.vibration_x, s.flow];
      }),
    );
  });

  it('reads one pump’s predictions in [from, to), ascending, with only the probabilities stored', async () => {
    const p = names('a', 'b');
    const written = [
      prediction(p.a, base),
      prediction(p.a, base + 2000, { probabilities: { HEALTHY: 0.75, WARNING: 0.25 }, state: 'HEALTHY' }),
      prediction(p.a, base + 1000, { iso_zone: 'D', raw_state: 'BROKEN' }),
      prediction(p.a, base + 3000),
      prediction(p.b, base + 1000),
    ];
    await write(written.map(predictionLine));
    const rows = await collect(queryPredictions(target(), { pumpId: p.a, fromMs: base, toMs: base + 3000 }));
    expect(rows).toEqual([written[0], written[2], written[1]]);
  });

  it('reads one pump’s last predictions before a time, newest first, across a model change', async () => {
    const p = names('a');
    // the older model knew BROKEN, the newer one does not: its points have no p_broken field
    const old = [0, 1000, 2000].map((dt) => prediction(p.a, base + dt));
    const newer = [3000, 4000, 5000].map((dt) =>
      prediction(p.a, base + dt, { probabilities: { HEALTHY: 0.5, WARNING: 0.25, FAULTY: 0.25 } }),
    );
    await write([...old, ...newer].map(predictionLine));
    const before = { pumpId: p.a, beforeMs: base + 5000 };
    expect(await collect(queryLastPredictions(target(), { ...before, limit: 2 }))).toEqual([
      newer[1],
      newer[0],
    ]);
    expect(await collect(queryLastPredictions(target(), { ...before, limit: 4 }))).toEqual([
      newer[1],
      newer[0],
      old[2],
      old[1],
    ]);
  });

  it('reads a prediction’s RUL and RUL model back where one served, and none where none did', async () => {
    const p = names('a');
    const rul = { rul_model_version: `${p.run}-rul` };
    const written = [
      prediction(p.a, base, { rul_h: 41.125, ...rul }),
      prediction(p.a, base + 1000, { rul_h: 40.5, ...rul }),
      prediction(p.a, base + 2000),
    ];
    await write(written.map(predictionLine));
    const range = { pumpId: p.a, fromMs: base, toMs: base + 3000 };
    expect(await collect(queryPredictions(target(), range))).toStrictEqual(written);
    expect(
      await collect(queryLastPredictions(target(), { pumpId: p.a, beforeMs: base + 3000, limit: 2 })),
    ).toStrictEqual([written[2], written[1]]);
    // the newest point has no RUL: none comes from an older one
    expect(mine(await collect(queryLatestPredictions(target())), p.a)).toStrictEqual([written[2]]);
  });

  it('reads the latest prediction of every pump, not mixing in fields of older points', async () => {
    const p = names('a', 'b');
    const a = [
      prediction(p.a, base),
      prediction(p.a, base + 1000, { probabilities: { HEALTHY: 0.5, WARNING: 0.5 }, state: 'HEALTHY' }),
    ];
    const b = [prediction(p.b, base + 4000), prediction(p.b, base + 3000, { state: 'BROKEN' })];
    await write([...a, ...b].map(predictionLine));
    const latest = mine(await collect(queryLatestPredictions(target())), p.a, p.b);
    expect(latest.sort((x, y) => x.ts - y.ts)).toEqual([a[1], b[0]]);
  });

  it('leaves out of the latest predictions a pump silent for longer than the lookback', async () => {
    const p = names('a');
    await write([predictionLine(prediction(p.a, base))]);
    const seenFrom = (nowMs: number) => collect(queryLatestPredictions(target(), { nowMs }));
    expect(mine(await seenFrom(base + 6 * 86_400_000), p.a)).toHaveLength(1);
    expect(mine(await seenFrom(base + 8 * 86_400_000), p.a)).toEqual([]);
  });

  it('reads alerts newest first, filtered by pump, kind and time, at most the limit', async () => {
    const p = names('a', 'b');
    const written: Alert[] = [
      alert(p.a, base),
      alert(p.a, base + 1000, { kind: 'recovered', state: 'HEALTHY', previous_state: 'FAULTY' }),
      alert(p.b, base + 2000, { state: 'BROKEN', previous_state: 'FAULTY' }),
      alert(p.a, base + 3000),
      alert(p.b, base + 4000, { kind: 'recovered', state: 'HEALTHY', previous_state: 'BROKEN' }),
    ];
    await write(written.map(alertLine));
    const [a0, a1, b2, a3, b4] = written as [Alert, Alert, Alert, Alert, Alert];
    const window = { fromMs: base, toMs: base + 5000 };
    const read = async (filter: Partial<Parameters<typeof queryAlerts>[1]>) =>
      mine(await collect(queryAlerts(target(), { ...window, limit: 100, ...filter })), p.a, p.b);
    expect(await read({})).toEqual([b4, a3, b2, a1, a0]);
    expect(await read({ pumpId: p.a })).toEqual([a3, a1, a0]);
    expect(await read({ pumpId: p.a, kind: 'alarm' })).toEqual([a3, a0]);
    expect(await read({ kind: 'recovered' })).toEqual([b4, a1]);
    expect(await read({ fromMs: base + 1000, toMs: base + 4000 })).toEqual([a3, b2, a1]);
    expect(await read({ pumpId: p.b, limit: 1 })).toEqual([b4]);
    expect(await read({ limit: 2, fromMs: base })).toEqual([b4, a3]);
  });

  it('reads the open alarms: per pump whose latest alert is an alarm, that alarm, newest first', async () => {
    const p = names('recovered', 'alarmed', 'again');
    const recovery = { kind: 'recovered', state: 'HEALTHY', previous_state: 'FAULTY' } as const;
    const alarmed = alert(p.alarmed, base + 1000);
    const again = alert(p.again, base + 3000, { state: 'BROKEN' });
    await write(
      [
        alert(p.recovered, base),
        alert(p.recovered, base + 2000, recovery),
        alert(p.again, base),
        alert(p.again, base + 2000, recovery),
        again,
        alarmed,
      ].map(alertLine),
    );
    expect(mine(await collect(queryOpenAlarms(target())), p.recovered, p.alarmed, p.again)).toEqual([
      again,
      alarmed,
    ]);
  });

  it('reads rul_low alerts by kind, and keeps a rul_low open beside an alarm until a recovery', async () => {
    const p = names('both', 'planned', 'repaired');
    const low = (pumpId: string, ts: number, rulH: number): Alert =>
      alert(pumpId, ts, {
        kind: 'rul_low',
        state: 'WARNING',
        previous_state: 'WARNING',
        evidence: { ...alert(pumpId, ts).evidence, rul_h: rulH },
      });
    const bothAlarm = alert(p.both, base);
    const bothLow = low(p.both, base + 1000, 4.5);
    const planned = low(p.planned, base + 2000, 9.25);
    await write(
      [
        bothAlarm,
        bothLow,
        planned,
        low(p.repaired, base, 2),
        alert(p.repaired, base + 1000, { state: 'BROKEN' }),
        alert(p.repaired, base + 5000, { kind: 'recovered', state: 'HEALTHY', previous_state: 'BROKEN' }),
      ].map(alertLine),
    );
    const ids = [p.both, p.planned, p.repaired];
    expect(mine(await collect(queryOpenAlarms(target())), ...ids)).toStrictEqual([
      planned,
      bothLow,
      bothAlarm,
    ]);
    const lows = await collect(queryAlerts(target(), { kind: 'rul_low', fromMs: base, limit: 10 }));
    expect(mine(lows, ...ids).map((a) => [a.pump_id, a.evidence.rul_h])).toEqual([
      [p.planned, 9.25],
      [p.both, 4.5],
      [p.repaired, 2],
    ]);
  });

  it('reads when each model version was first and last seen, oldest first', async () => {
    const p = names('a', 'b');
    const v1 = `${p.run}-v1`;
    const v2 = `${p.run}-v2`;
    await write(
      [
        prediction(p.a, base, { model_version: v1 }),
        prediction(p.b, base + 1000, { model_version: v1 }),
        prediction(p.a, base + 2000, { model_version: v2 }),
        prediction(p.b, base + 3000, { model_version: v1 }),
        prediction(p.a, base + 4000, { model_version: v2 }),
      ].map(predictionLine),
    );
    const versions = (await queryModelVersions(target())).filter((v) => v.version.startsWith(p.run));
    expect(versions).toEqual([
      { version: v1, firstSeen: base, lastSeen: base + 3000 },
      { version: v2, firstSeen: base + 2000, lastSeen: base + 4000 },
    ]);
  });

  it('escapes a pump id with quotes, ${, commas, equals signs and spaces in every query', async () => {
    const p = names('plain');
    const odd = `${p.plain}" or r._field != "x ${'$'}{v},y=z`;
    pumpIds.add(odd);
    await write([
      encodeSample(sample(odd, base)),
      encodeSample(sample(p.plain, base)),
      predictionLine(prediction(odd, base)),
      predictionLine(prediction(p.plain, base)),
      alertLine(alert(odd, base)),
      alertLine(alert(p.plain, base)),
    ]);
    const range = { pumpId: odd, fromMs: base, toMs: base + 1000 };
    expect(await collect(querySamples(target(), { ...range, channels: ['rpm'] }))).toEqual([[base, 2950.1]]);
    expect(await collect(queryPredictions(target(), range))).toEqual([prediction(odd, base)]);
    const last = await collect(queryLastPredictions(target(), { pumpId: odd, beforeMs: base + 1, limit: 5 }));
    expect(last).toEqual([prediction(odd, base)]);
    expect(await collect(queryAlerts(target(), { pumpId: odd, limit: 5 }))).toEqual([alert(odd, base)]);
    const open = await collect(queryOpenAlarms(target()));
    expect(
      mine(open, odd, p.plain)
        .map((a) => a.pump_id)
        .sort(),
    ).toEqual([odd, p.plain].sort());
  });

  it('answers empty for a pump with nothing stored', async () => {
    const { nobody } = names('nobody');
    const range = { pumpId: nobody, fromMs: base - 60_000, toMs: base + 60_000 };
    expect(await collect(querySamples(target(), { ...range, channels: ['rpm'] }))).toEqual([]);
    expect(await collect(queryPredictions(target(), range))).toEqual([]);
    expect(
      await collect(queryLastPredictions(target(), { pumpId: nobody, beforeMs: base, limit: 5 })),
    ).toEqual([]);
    expect(await collect(queryAlerts(target(), { pumpId: nobody, limit: 5 }))).toEqual([]);
  });

  return { pumpIds };
}
