/**
 * The write/read round trip, as shared tests: reader.test.ts runs them against the fake InfluxDB and
 * influx.contract.test.ts against a real one, so the fake cannot drift from what InfluxDB does.
 * Every test writes its own pumps, so they can share a real bucket with other runs.
 */
import { randomUUID } from 'node:crypto';
import type { LabelledSample } from '@pdm/contract';
import { expect, it } from 'vitest';
import type { InfluxTarget } from './http.ts';
import { encodeSample } from './line-protocol.ts';
import { queryTelemetry, type TelemetryQuery } from './reader.ts';
import { sample } from './testing/fixtures.ts';
import { createInfluxWriter } from './writer.ts';

// line-protocol.test.ts takes the sample from here, as it did before the fixtures moved to testing/
export { sample };

const TRUTH = { state: 'WARNING', health_pct: 61.25, rul_h: 1234.567, failure_mode: 'CAVITATION' } as const;

async function collect(target: InfluxTarget, query: TelemetryQuery): Promise<LabelledSample[]> {
  const rows: LabelledSample[] = [];
  for await (const row of queryTelemetry(target, query)) rows.push(row);
  return rows;
}

export interface RoundTrip {
  /** every pump id the tests wrote, for a cleanup against a shared bucket */
  readonly pumpIds: ReadonlySet<string>;
}

export function roundTripSuite(target: () => InfluxTarget): RoundTrip {
  const pumpIds = new Set<string>();
  /** Pump ids no other test or run uses, one per name. */
  const pumps = <const T extends string>(...names: T[]): Record<T, string> => {
    const run = randomUUID().slice(0, 8);
    const ids = Object.fromEntries(names.map((name) => [name, `rt-${run}-${name}`])) as Record<T, string>;
    for (const id of Object.values<string>(ids)) pumpIds.add(id);
    return ids;
  };
  // A recent whole minute: inside any bucket's retention, and the same on both sides of the trip.
  const base = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  const window = { since: new Date(base - 60_000), until: new Date(base + 3_600_000) };
  const writer = () => createInfluxWriter({ ...target(), timeoutMs: 10_000 });

  it('reads back one row per sample, typed as written, sorted by pump then time', async () => {
    const p = pumps('a', 'b');
    const samples = [
      sample(p.b, base + 1000, TRUTH),
      sample(p.a, base + 2000),
      sample(p.a, base, TRUTH),
      sample(p.b, base),
    ];
    expect(await writer().write(samples.map(encodeSample))).toEqual({ kind: 'ok' });
    const rows = await collect(target(), { ...window, pumps: [p.b, p.a] });
    expect(rows).toEqual([samples[2], samples[1], samples[3], samples[0]]);
    expect(typeof rows[0]?.seq).toBe('number');
  });

  it('keeps since inclusive, until exclusive, and only the pumps asked for', async () => {
    const p = pumps('a', 'b', 'c');
    const samples = [0, 1000, 2000, 3000].flatMap((dt) => [p.a, p.b, p.c].map((id) => sample(id, base + dt)));
    expect(await writer().write(samples.map(encodeSample))).toEqual({ kind: 'ok' });
    const rows = await collect(target(), {
      since: new Date(base + 1000),
      until: new Date(base + 3000),
      pumps: [p.c, p.a],
    });
    expect(rows.map((r) => [r.pump_id, r.ts - base])).toEqual([
      [p.a, 1000],
      [p.a, 2000],
      [p.c, 1000],
      [p.c, 2000],
    ]);
  });

  it('overwrites a redelivered batch, and merges ground truth written after the telemetry', async () => {
    const p = pumps('a');
    const telemetry = [sample(p.a, base), sample(p.a, base + 1000)];
    const lines = telemetry.map(encodeSample);
    expect(await writer().write(lines)).toEqual({ kind: 'ok' });
    expect(await writer().write(lines)).toEqual({ kind: 'ok' });
    const labelled = { ...sample(p.a, base + 1000), ...TRUTH };
    expect(await writer().write([encodeSample(labelled)])).toEqual({ kind: 'ok' });
    expect(await collect(target(), { ...window, pumps: [p.a] })).toEqual([telemetry[0], labelled]);
  });

  it('escapes pump ids with spaces, commas, equals signs, quotes and ${ on the way in and out', async () => {
    const odd = `${pumps('odd').odd} x,y=z "q" \${v}`;
    pumpIds.add(odd);
    const written = sample(odd, base);
    expect(await writer().write([encodeSample(written)])).toEqual({ kind: 'ok' });
    expect(await collect(target(), { ...window, pumps: [odd] })).toEqual([written]);
  });

  it("passes InfluxDB's message through when it rejects a batch", async () => {
    const outcome = await writer().write(['not line protocol']);
    expect(outcome).toMatchObject({ kind: 'rejected', status: 400 });
    expect(outcome.kind === 'rejected' && outcome.message).toContain("unable to parse 'not line protocol'");
  });

  return { pumpIds };
}
