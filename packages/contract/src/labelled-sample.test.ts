import { describe, expect, it } from 'vitest';
import { GROUND_TRUTH_FIELDS, SAMPLE_FIELDS } from './labelled-sample.ts';
import { groundTruthFields, telemetrySchema, trainingSampleSchema } from './schemas.ts';

describe('labelled sample fields', () => {
  it('name every field of a training sample exactly once, telemetry first', () => {
    expect([...SAMPLE_FIELDS].sort()).toEqual(Object.keys(trainingSampleSchema.shape).sort());
    expect(new Set(SAMPLE_FIELDS).size).toBe(SAMPLE_FIELDS.length);
    const telemetry = Object.keys(telemetrySchema.shape);
    expect([...SAMPLE_FIELDS.slice(0, telemetry.length)].sort()).toEqual([...telemetry].sort());
  });

  it('name the ground truth the schemas add to telemetry', () => {
    expect([...GROUND_TRUTH_FIELDS].sort()).toEqual(Object.keys(groundTruthFields).sort());
  });
});
