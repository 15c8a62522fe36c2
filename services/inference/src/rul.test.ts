import { alertSchema, predictionSchema } from '@pdm/contract';
import { describe, expect, it } from 'vitest';
import { AlertPolicy } from './alerts.ts';
import { RulSmoother } from './rul-smoother.ts';
import { pipelineWithParts, telemetry, vibrationRulModel } from './testing/fake-pipeline.ts';

describe('RUL smoothing', () => {
  it('reports the median of the pump’s last k raw values, so one wild value moves nothing', () => {
    const smoother = new RulSmoother(5);
    const out = [10, 11, 500, 9, 12, 10.5].map((raw) => smoother.update('p', raw, 'v1'));
    // [10] [10 11] [10 11 500] [9 10 11 500] [9 10 11 12 500] [9 10.5 11 12 500]
    expect(out).toEqual([10, 10.5, 11, 10.5, 11, 11]);
  });

  it('never reports a negative RUL, and skips a value that is not a number', () => {
    const smoother = new RulSmoother(3);
    expect(smoother.update('p', -4, 'v1')).toBe(0);
    expect(smoother.update('p', Number.NaN, 'v1')).toBe(0);
    expect(smoother.update('p', -1, 'v1')).toBe(0);
    expect(smoother.update('q', Number.NaN, 'v1')).toBeUndefined();
  });

  it('keeps each pump apart, and starts over when the RUL model changes', () => {
    const smoother = new RulSmoother(3);
    smoother.update('p', 100, 'v1');
    smoother.update('p', 100, 'v1');
    expect(smoother.update('q', 1, 'v1')).toBe(1);
    expect(smoother.settled('p')).toBe(false);
    expect(smoother.update('p', 100, 'v1')).toBe(100);
    expect(smoother.settled('p')).toBe(true);
    expect(smoother.update('p', 2, 'v2')).toBe(2);
    expect(smoother.settled('p')).toBe(false);
  });

  it('rounds to the contract’s resolution of the ground truth (RUL_DECIMALS)', () => {
    expect(new RulSmoother(1).update('p', 1.23456789, 'v1')).toBe(1.235);
  });
});

describe('the rul_low decision', () => {
  const rule = { belowH: 10, rearmFactor: 1.2 };

  it('fires once when the RUL falls below the threshold, not while it stays low', () => {
    const policy = new AlertPolicy(60_000, rule);
    const fired = [15, 11, 9.9, 8, 5, 10.5, 9].map((h) => policy.decideRul('p', h, true, false));
    expect(fired).toEqual([false, false, true, false, false, false, false]);
  });

  it('arms again only once the RUL rose above threshold × re-arm factor, or after a repair', () => {
    const policy = new AlertPolicy(60_000, rule);
    expect(policy.decideRul('p', 9, true, false)).toBe(true);
    expect(policy.decideRul('p', 12, true, false)).toBe(false); // 12 ≤ 10 × 1.2: still disarmed
    expect(policy.decideRul('p', 9, true, false)).toBe(false);
    expect(policy.decideRul('p', 12.5, true, false)).toBe(false); // above 12: armed
    expect(policy.decideRul('p', 9, true, false)).toBe(true);
    expect(policy.decideRul('p', 9, true, true)).toBe(true); // repaired, still low: a new lifecycle's alert
  });

  it('waits for a full smoothing window, is off without a threshold, and forgets a pump', () => {
    const policy = new AlertPolicy(60_000, rule);
    expect(policy.decideRul('p', 1, false, false)).toBe(false);
    expect(policy.decideRul('p', 1, true, false)).toBe(true);
    policy.forget('p');
    expect(policy.decideRul('p', 1, true, false)).toBe(true);
    expect(new AlertPolicy(60_000).decideRul('p', 0, true, false)).toBe(false);
  });

  it('refuses a rule that could never re-arm', () => {
    expect(() => new AlertPolicy(0, { belowH: 10, rearmFactor: 1 })).toThrow(RangeError);
  });
});

describe('the pipeline with a RUL model (stand-in sessions)', () => {
  /** raw RUL from vibration: 1 mm/s → 40 h, falling 5 h per mm/s */
  const hours = (v: number) => 45 - 5 * v;

  it('adds the smoothed rul_h and the RUL model’s version to each prediction, and nothing without one', async () => {
    const parts = pipelineWithParts({ rulWindow: 3 });
    parts.pipeline.accept(telemetry('p', 0, 1), 0);
    await parts.pipeline.drain();
    expect(parts.sent.predictions[0]).not.toHaveProperty('rul_h');
    expect(parts.sent.predictions[0]).not.toHaveProperty('rul_model_version');

    parts.rulModels.swap(vibrationRulModel(hours, 'rul-v1'));
    for (const [seq, v] of [1, 2, 3].entries()) parts.pipeline.accept(telemetry('p', seq + 1, v), 0);
    await parts.pipeline.drain();
    const served = parts.sent.predictions.slice(1).map((p) => predictionSchema.parse(p));
    expect(served.map((p) => p.rul_model_version)).toEqual(['rul-v1', 'rul-v1', 'rul-v1']);
    expect(served.every((p) => p.rul_h !== undefined && p.rul_h >= 0)).toBe(true);
    expect(served.at(-1)?.rul_h).toBeLessThan(served[0]?.rul_h as number);
  });

  it('raises rul_low once when a pump’s smoothed RUL falls below ALERT_RUL_H, with the RUL as evidence', async () => {
    const parts = pipelineWithParts({ rulWindow: 1, rulAlert: { belowH: 20, rearmFactor: 1.2 } });
    parts.rulModels.swap(vibrationRulModel(() => 15, 'rul-v1'));
    for (let seq = 0; seq < 10; seq++) parts.pipeline.accept(telemetry('p', seq, 1), 0);
    await parts.pipeline.drain();
    const alerts = parts.sent.alerts.map((a) => alertSchema.parse(a));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      kind: 'rul_low',
      state: 'HEALTHY',
      previous_state: 'HEALTHY',
      model_version: 'rul-v1',
      evidence: { rul_h: 15 },
    });
  });

  it('scores the smoothed RUL against the ground truth’s', async () => {
    const parts = pipelineWithParts({ rulWindow: 1 });
    parts.rulModels.swap(vibrationRulModel(() => 15));
    parts.scorer.addTruth('p', 0, 'HEALTHY', 12);
    parts.scorer.addTruth('p', 1, 'HEALTHY', 19);
    for (const seq of [0, 1]) parts.pipeline.accept(telemetry('p', seq, 1), 0);
    await parts.pipeline.drain();
    expect(parts.scorer.rulScored).toBe(2);
    expect(parts.scorer.rulMae).toBe((3 + 4) / 2);
    expect(parts.scorer.rulRmse).toBeCloseTo(Math.sqrt((9 + 16) / 2), 12);
  });
});
