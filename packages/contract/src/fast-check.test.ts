import { describe, expect, it } from 'vitest';
import { CHANNELS } from './channels.ts';
import { isPrediction, isTelemetry, isTrainingSample } from './fast-check.ts';
import { predictionSchema, telemetrySchema, trainingSampleSchema } from './schemas.ts';

const base = {
  pump_id: 'pump-00001',
  ts: 1_767_225_600_000,
  seq: 3,
  vibration_x: 1.4,
  vibration_y: 1.2,
  vibration_z: 0.8,
  vibration_rms: 1.17,
  temperature: 56.6,
  pressure: 6.3,
  flow: 117,
  current: 56.4,
  rpm: 2957.7,
  state: 'WARNING',
  health_pct: 55,
  rul_h: 12,
  failure_mode: 'CAVITATION',
};

/** Values that probe each check: types, bounds, non-finite numbers, missing. */
const PROBES: unknown[] = [
  undefined,
  null,
  '',
  '1',
  true,
  [],
  {},
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1e300,
  -61,
  -60,
  -1.5,
  -1,
  -0,
  0,
  0.5,
  1,
  99.99,
  100,
  100.01,
  400,
  400.5,
  1000,
  1000.5,
  1e5,
  1e6,
  1.5e6,
  946_684_800_000,
  946_684_799_999,
  7_258_118_400_000,
  7_258_118_400_001,
  1_767_225_600_000.5,
  2 ** 53,
  'pump-00001',
  'bad id',
  'p/#',
  'HEALTHY',
  'DEAD',
  'BEARING_WEAR',
  'x'.repeat(65),
];

describe('fast checks', () => {
  const fields = Object.keys(base);
  const cases: Record<string, unknown>[] = [base];
  for (const field of fields) {
    for (const probe of PROBES) {
      const changed: Record<string, unknown> = { ...base, [field]: probe };
      if (probe === undefined) delete changed[field];
      cases.push(changed);
    }
  }

  it(`agree with the zod schemas on ${cases.length} messages, one field changed at a time`, () => {
    for (const c of cases) {
      expect(isTrainingSample(c), JSON.stringify(c)).toBe(trainingSampleSchema.safeParse(c).success);
      expect(isTelemetry(c), JSON.stringify(c)).toBe(telemetrySchema.safeParse(c).success);
    }
  });

  it('check every channel', () => {
    for (const c of CHANNELS) expect(isTelemetry({ ...base, [c]: 'x' })).toBe(false);
    expect(isTelemetry('not an object')).toBe(false);
  });
});

describe('the fast prediction check', () => {
  const prediction = {
    pump_id: 'pump-00001',
    ts: 1_767_225_600_000,
    seq: 3,
    state: 'HEALTHY',
    raw_state: 'WARNING',
    probabilities: { HEALTHY: 0.55, WARNING: 0.45, FAULTY: 0, BROKEN: 0 },
    vibration_rms: 2.4,
    iso_zone: 'B',
    model_version: '2026-11-26T11:15:40.522Z#3f1c0d2e',
    latency_ms: 3.41,
  };
  const probabilityProbes: unknown[] = [
    {},
    { HEALTHY: 1 },
    { HEALTHY: 0.5, FAULTY: 0.5 },
    { HEALTHY: 1.01 },
    { HEALTHY: -0.01 },
    { HEALTHY: Number.NaN },
    { HEALTHY: '0.5' },
    { HEALTHY: null },
    { HEALTHY: undefined },
    { DEAD: 0.5 },
    { healthy: 0.5 },
    [0.5, 0.5],
    null,
    'HEALTHY',
  ];
  const cases: Record<string, unknown>[] = [prediction];
  for (const field of Object.keys(prediction)) {
    for (const probe of [...PROBES, ...probabilityProbes, 'A', 'D', 'E', '', 'pump-00001']) {
      const changed: Record<string, unknown> = { ...prediction, [field]: probe };
      if (probe === undefined) delete changed[field];
      cases.push(changed);
    }
  }

  it(`agrees with the zod schema on ${cases.length} predictions, one field changed at a time`, () => {
    let accepted = 0;
    for (const c of cases) {
      const zod = predictionSchema.safeParse(c).success;
      expect(isPrediction(c), JSON.stringify(c)).toBe(zod);
      if (zod) accepted += 1;
    }
    // the probes reach both sides of every check
    expect(accepted).toBeGreaterThan(50);
    expect(accepted).toBeLessThan(cases.length / 2);
  });
});
