import { describe, expect, it } from 'vitest';
import { CHANNELS } from './channels.ts';
import { isGroundTruth, isPrediction, isTelemetry, isTrainingSample } from './fast-check.ts';
import { groundTruthSchema, predictionSchema, telemetrySchema, trainingSampleSchema } from './schemas.ts';

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

/** Every field of `base` set to each probe in turn (and left out), plus `extra` whole messages. */
function oneFieldChanged(
  base: Record<string, unknown>,
  probes: readonly unknown[],
): Record<string, unknown>[] {
  const cases: Record<string, unknown>[] = [base];
  for (const field of Object.keys(base)) {
    for (const probe of probes) {
      const changed: Record<string, unknown> = { ...base, [field]: probe };
      if (probe === undefined) delete changed[field];
      cases.push(changed);
    }
  }
  return cases;
}

describe('fast checks of the messages inference publishes and the simulator’s ground truth', () => {
  const prediction = {
    pump_id: 'pump-00001',
    ts: 1_767_225_600_000,
    seq: 3,
    state: 'FAULTY',
    raw_state: 'WARNING',
    probabilities: { HEALTHY: 0.1, WARNING: 0.2, FAULTY: 0.6, BROKEN: 0.1 },
    vibration_rms: 4.2,
    iso_zone: 'C',
    model_version: '2026-12-01T23:35:58.370Z#91630af6',
    latency_ms: 1.5,
    rul_h: 3.25,
    rul_model_version: '2026-12-02T04:00:00.000Z#0c1d2e3f',
  };
  const groundTruth = {
    pump_id: 'pump-00001',
    ts: 1_767_225_600_000,
    seq: 3,
    state: 'WARNING',
    health_pct: 55,
    rul_h: 12,
    failure_mode: 'CAVITATION',
    lifecycle: 2,
    chaos: ['heatwave'],
  };
  const structured: unknown[] = [
    ...PROBES,
    'A',
    'E',
    'heatwave',
    [],
    ['heatwave', 'dropout'],
    ['heatwave', 'flood'],
    [1],
    {},
    { HEALTHY: 1 },
    { HEALTHY: 0.5, BROKEN: 0.5 },
    { HEALTHY: 1.01 },
    { HEALTHY: -0.01 },
    { HEALTHY: '1' },
    { HEALTHY: null },
    { healthy: 1 },
    { HEALTHY: 1, OTHER: 0 },
  ];

  it('agree with the zod schemas, one field changed at a time', () => {
    for (const c of oneFieldChanged(prediction, structured))
      expect(isPrediction(c), JSON.stringify(c)).toBe(predictionSchema.safeParse(c).success);
    for (const c of oneFieldChanged(groundTruth, structured))
      expect(isGroundTruth(c), JSON.stringify(c)).toBe(groundTruthSchema.safeParse(c).success);
  });

  it('may be stricter than zod, which then decides, but never more lenient', () => {
    // zod skips a "__proto__" key in a record; the fast check refuses it, and validateMessage asks zod.
    const odd = { ...prediction, probabilities: JSON.parse('{"__proto__": 1}') };
    expect(isPrediction(odd)).toBe(false);
    expect(predictionSchema.safeParse(odd).success).toBe(true);
  });

  it('accept the messages as the services send them', () => {
    expect(isPrediction(prediction)).toBe(true);
    expect(isGroundTruth(groundTruth)).toBe(true);
    expect(isPrediction({ ...prediction, probabilities: { FAULTY: 1 } })).toBe(true);
    const { rul_h: _rul, rul_model_version: _version, ...withoutRul } = prediction;
    expect(isPrediction(withoutRul), 'a prediction made with no RUL model').toBe(true);
    expect(isGroundTruth({ ...groundTruth, chaos: [] })).toBe(true);
  });
});
