import { describe, expect, it } from 'vitest';
import { pipelineWithParts, telemetry, vibrationRulModel } from './testing/fake-pipeline.ts';
import { TrackedPumps } from './tracked-pumps.ts';

const HOUR = 3_600_000;

describe('tracked pumps', () => {
  it('never tracks more pumps than its bound, however many new ids arrive', () => {
    const tracked = new TrackedPumps({ maxPumps: 100, idleMs: HOUR }, () => {});
    let refused = 0;
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      if (!tracked.admit(`flood-${i}`, i)) refused += 1;
      largest = Math.max(largest, tracked.size);
    }
    expect(largest).toBe(100);
    expect(refused).toBe(9_900);
    // The pumps it tracks keep going.
    expect(tracked.admit('flood-0', 10_000)).toBe(true);
  });

  it('forgets a pump silent for the idle time, and so makes room for a new one', () => {
    const forgotten: string[] = [];
    const tracked = new TrackedPumps({ maxPumps: 2, idleMs: HOUR }, (ids) => forgotten.push(...ids));
    tracked.admit('quiet', 0);
    tracked.admit('chatty', 0);
    expect(tracked.admit('newcomer', 1)).toBe(false);
    tracked.admit('chatty', HOUR / 2);
    expect(tracked.sweep(HOUR)).toEqual([]);
    expect(tracked.sweep(HOUR + 1)).toEqual(['quiet']);
    expect(forgotten).toEqual(['quiet']);
    expect(tracked.admit('newcomer', HOUR + 2)).toBe(true);
    expect(tracked.size).toBe(2);
  });

  it('keeps a pump whose samples are still in flight, however long ago they arrived', () => {
    const tracked = new TrackedPumps({ maxPumps: 10, idleMs: 1000 }, () => {});
    tracked.admit('busy', 100);
    tracked.admit('idle', 50);
    expect(tracked.sweep(10_000, 100)).toEqual(['idle']);
    expect(tracked.sweep(10_000, 101)).toEqual(['busy']);
  });

  it('holds per-pump state for at most the bound under a flood of new ids, and none once they fall silent', async () => {
    const { pipeline, rulModels, smoother, rulSmoother, alerts, scorer } = pipelineWithParts({
      rulAlert: { belowH: 100, rearmFactor: 1.2 },
    });
    rulModels.swap(vibrationRulModel(() => 10));
    const tracked = new TrackedPumps({ maxPumps: 500, idleMs: HOUR }, (ids) => pipeline.forget(ids));
    // Each new pump sends a healthy sample, then a faulty one: a window, a smoothed state and an alert.
    for (let i = 0; i < 5_000; i++) {
      for (const sample of [telemetry(`flood-${i}`, 0, 1.2), telemetry(`flood-${i}`, 1, 9)]) {
        if (tracked.admit(sample.pump_id, i)) pipeline.accept(sample, i);
      }
    }
    await pipeline.drain();
    const held = () => [
      tracked.size,
      pipeline.pumps,
      smoother.pumps,
      rulSmoother.pumps,
      alerts.pumps,
      scorer.pending,
    ];
    expect(held()).toEqual([500, 500, 500, 500, 500, 1001]);

    tracked.sweep(5_000 + HOUR, pipeline.oldestPending);
    expect(held()).toEqual([0, 0, 0, 0, 0, 1]);
  });
});
