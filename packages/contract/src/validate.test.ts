import { describe, expect, it } from 'vitest';
import { telemetrySchema, trainingSampleSchema } from './schemas.ts';
import { topics } from './topics.ts';
import { validateMessage, validateParsedMessage } from './validate.ts';

const sample = {
  pump_id: 'p1',
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
};
const expectations = { telemetry: telemetrySchema };
const check = (payload: string, topic = topics.telemetry('p1')) =>
  validateMessage(topic, Buffer.from(payload), expectations);

describe('message validation', () => {
  it('accepts a valid message and says which kind it is', () => {
    expect(check(JSON.stringify(sample))).toEqual({ ok: true, kind: 'telemetry', message: sample });
  });

  it.each([
    ['{"pump_id":"p1",', 'truncated'],
    ['', 'empty'],
    [' \r\n', 'empty'],
    ['{"pump_id": p1}', 'not_json'],
    [JSON.stringify(sample).replace('56.6', 'NaN'), 'non_finite'],
    [JSON.stringify(sample).replace('56.6', '-Infinity'), 'non_finite'],
    [JSON.stringify(sample).replace('56.6', '1e999'), 'non_finite'],
    ['[1,2]', 'not_an_object'],
    [JSON.stringify({ ...sample, flow: '117' }), 'wrong_type'],
    [JSON.stringify({ ...sample, flow: undefined }), 'missing_field'],
    [JSON.stringify({ ...sample, flow: -5 }), 'out_of_range'],
    [JSON.stringify({ ...sample, pump_id: 'p2' }), 'pump_mismatch'],
  ])('rejects %s as %s', (payload, reason) => {
    const verdict = check(payload);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toBe(reason);
    expect(!verdict.ok && verdict.detail.length).toBeGreaterThan(0);
  });

  it('reads a string that merely contains the word NaN as a string, not as a non-finite number', () => {
    const verdict = check(JSON.stringify({ ...sample, pump_id: 'NaN' }), topics.telemetry('NaN'));
    expect(verdict.ok).toBe(true);
  });

  it('names a topic it does not expect in the detail, clipped when it is long', () => {
    const topic = topics.telemetry('x'.repeat(60_000));
    const verdict = check(JSON.stringify(sample), topic);
    expect(verdict).toMatchObject({ ok: false, reason: 'unknown_topic' });
    expect(!verdict.ok && verdict.detail).toMatch(/pdm\/v1\/telemetry\/x+…\[60017 chars\]$/);
  });

  it('rejects a topic it does not expect, and an oversized payload before parsing it', () => {
    expect(check(JSON.stringify(sample), topics.training('p1'))).toMatchObject({
      ok: false,
      reason: 'unknown_topic',
    });
    expect(check('x'.repeat(20_000))).toMatchObject({ ok: false, reason: 'oversized' });
  });

  it('names a missing ground-truth field as missing, whatever its type', () => {
    const verdict = validateMessage(topics.training('p1'), Buffer.from(JSON.stringify(sample)), {
      training: trainingSampleSchema,
    });
    expect(verdict).toMatchObject({ ok: false, reason: 'missing_field' });
  });

  it('gives a payload parsed already the verdict its text gets', () => {
    const payloads = [
      JSON.stringify(sample),
      JSON.stringify(sample).replace('56.6', '1e999'),
      '[1,2]',
      JSON.stringify({ ...sample, flow: '117' }),
      JSON.stringify({ ...sample, flow: undefined }),
      JSON.stringify({ ...sample, flow: -5 }),
      JSON.stringify({ ...sample, pump_id: 'p2' }),
    ];
    for (const topic of [topics.telemetry('p1'), topics.training('p1')]) {
      for (const payload of payloads) {
        expect(validateParsedMessage(topic, JSON.parse(payload), expectations)).toEqual(
          check(payload, topic),
        );
      }
    }
  });
});
