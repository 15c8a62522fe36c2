import { describe, expect, it } from 'vitest';
import {
  ackSchema,
  groundTruthSchema,
  type Telemetry,
  telemetrySchema,
  trainingSampleSchema,
} from './schemas.ts';

const valid: Telemetry = {
  pump_id: 'pump-00001',
  ts: 1_767_225_600_000,
  seq: 0,
  vibration_x: 1.4,
  vibration_y: 1.2,
  vibration_z: 0.8,
  vibration_rms: 1.17,
  temperature: 56.6,
  pressure: 6.3,
  flow: 117,
  current: 56.4,
  rpm: 2957.7,
};

describe('telemetry schema', () => {
  it('accepts a well-formed sample', () => {
    expect(telemetrySchema.parse(valid)).toEqual(valid);
  });

  it.each([
    ['NaN', { temperature: Number.NaN }],
    ['Infinity', { pressure: Number.POSITIVE_INFINITY }],
    ['a number as a string', { flow: '117' }],
    ['a fractional seq', { seq: 1.5 }],
    ['a negative seq', { seq: -1 }],
    ['a timestamp in seconds', { ts: 1_767_225_600 }],
    ['a wildcard in the pump id', { pump_id: 'pump/#' }],
    ['a negative vibration', { vibration_rms: -1 }],
    ['an impossible temperature', { temperature: 5000 }],
  ])('rejects %s', (_, change) => {
    expect(telemetrySchema.safeParse({ ...valid, ...change }).success).toBe(false);
  });

  it('rejects a sample with a channel missing', () => {
    const { flow: _, ...missing } = valid;
    expect(telemetrySchema.safeParse(missing).success).toBe(false);
  });

  it('requires the ground truth in a training sample', () => {
    expect(trainingSampleSchema.safeParse(valid).success).toBe(false);
    const labelled = { ...valid, state: 'WARNING', health_pct: 55, rul_h: 12, failure_mode: 'CAVITATION' };
    expect(trainingSampleSchema.parse(labelled)).toEqual(labelled);
    expect(trainingSampleSchema.safeParse({ ...labelled, state: 'DEAD' }).success).toBe(false);
  });

  it('carries chaos marks in the ground truth', () => {
    const truth = {
      pump_id: 'p1',
      ts: valid.ts,
      seq: 3,
      state: 'HEALTHY',
      health_pct: 99,
      rul_h: 40,
      failure_mode: 'MISALIGNMENT',
      lifecycle: 0,
      chaos: ['heatwave'],
    };
    expect(groundTruthSchema.parse(truth)).toEqual(truth);
    expect(groundTruthSchema.safeParse({ ...truth, chaos: ['meteor'] }).success).toBe(false);
  });
});

describe('ack schema', () => {
  const ack = {
    pump_id: 'pump-00001',
    ts: 1_767_225_800_000,
    alarm: { state: 'BROKEN', ts: 1_767_225_731_000, seq: 131 },
    by: '@alice',
    via: 'telegram',
    user_id: '42',
  };

  it('accepts who acknowledged which alarm of which pump, and when', () => {
    expect(ackSchema.parse(ack)).toEqual(ack);
  });

  it.each([
    ['an alarm state that raises no alarm', { alarm: { ...ack.alarm, state: 'WARNING' } }],
    ['nobody', { by: '' }],
    ['an unknown source', { via: 'email' }],
    ['a wildcard in the pump id', { pump_id: 'pump/+' }],
  ])('rejects %s', (_, change) => {
    expect(ackSchema.safeParse({ ...ack, ...change }).success).toBe(false);
  });
});
