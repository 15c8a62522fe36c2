import { describe, expect, it } from 'vitest';
import { CHANNEL_INFO, CHANNELS } from './channels.ts';
import { type TrainingSample, telemetrySchema, trainingSampleSchema } from './schemas.ts';
import { encodeTelemetry, encodeTrainingSample, fixedJson } from './wire.ts';

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

function sample(i: number): TrainingSample {
  const v = (k: number) => Math.abs(Math.sin(i * 7.3 + k)) * 10 ** ((i + k) % 4);
  return {
    pump_id: `pump-${i}`,
    ts: 1_767_225_600_000 + i,
    seq: i,
    vibration_x: v(1),
    vibration_y: v(2),
    vibration_z: v(3),
    vibration_rms: v(4),
    temperature: v(5) - 30,
    pressure: v(6),
    flow: v(7),
    current: v(8),
    rpm: v(9),
    state: 'FAULTY',
    health_pct: v(10) % 100,
    rul_h: v(11),
    failure_mode: 'IMPELLER_WEAR',
  };
}

describe('fast JSON encoding', () => {
  it('prints numbers that parse back to the values rounded to each channel resolution', () => {
    for (let i = 0; i < 2000; i++) {
      const m = sample(i);
      const parsed = JSON.parse(encodeTrainingSample(m)) as Record<string, unknown>;
      for (const c of CHANNELS) expect(parsed[c]).toBe(round(m[c], CHANNEL_INFO[c].decimals));
      expect(parsed.health_pct).toBe(round(m.health_pct, 2));
      expect(parsed.rul_h).toBe(round(m.rul_h, 3));
    }
  });

  it('writes every field of the schemas, in contract order', () => {
    const m = sample(1);
    expect(Object.keys(JSON.parse(encodeTelemetry(m)))).toEqual(Object.keys(telemetrySchema.shape));
    expect(Object.keys(JSON.parse(encodeTrainingSample(m)))).toEqual(Object.keys(trainingSampleSchema.shape));
    expect(trainingSampleSchema.safeParse(JSON.parse(encodeTrainingSample(m))).success).toBe(true);
  });

  it.each([
    [0, 3, '0.000'],
    [1.0005, 3, '1.001'],
    [-2.5, 2, '-2.50'],
    [-0.0001, 2, '0.00'],
    [12.03, 2, '12.03'],
    [2957.65, 1, '2957.7'],
    [7, 0, '7'],
    [Number.NaN, 2, 'null'],
    [Number.POSITIVE_INFINITY, 2, 'null'],
    [1e300, 2, '1e+300'],
  ])('prints %s with %s decimals as %s', (x, d, text) => {
    expect(fixedJson(x, d)).toBe(text);
  });
});
