import { describe, expect, it } from 'vitest';
import { type Clock, FleetScheduler } from './scheduler.ts';

/** A clock that only moves when the scheduler sleeps or a test says so. */
function virtualClock(start: number): Clock & { advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('fleet scheduler', () => {
  it('spreads the fleet evenly over each interval: pump i, round n is due at start + n·interval + i·interval/N', async () => {
    const clock = virtualClock(10_000);
    const scheduler = new FleetScheduler({ pumps: 4, intervalMs: 1000, startMs: 10_000, rounds: 3 }, clock);
    const calls: [number, number, number][] = [];
    await scheduler.run((pump, round, due) => {
      calls.push([pump, round, due]);
      return undefined;
    });
    expect(calls).toHaveLength(12);
    for (const [pump, round, due] of calls) expect(due).toBe(10_000 + round * 1000 + pump * 250);
    expect(calls.map(([p, r]) => `${r}.${p}`)).toEqual([
      '0.0',
      '0.1',
      '0.2',
      '0.3',
      '1.0',
      '1.1',
      '1.2',
      '1.3',
      '2.0',
      '2.1',
      '2.2',
      '2.3',
    ]);
  });

  it('does not drift: a late sample does not push the ones after it', async () => {
    const clock = virtualClock(0);
    const scheduler = new FleetScheduler({ pumps: 1, intervalMs: 1000, startMs: 0, rounds: 5 }, clock);
    const sentAt: number[] = [];
    await scheduler.run((_pump, round) => {
      sentAt.push(clock.now());
      if (round === 1) clock.advance(1700); // a stall longer than an interval
      return undefined;
    });
    // Round 2 and 3 were due during the stall and go out at once; round 4 is back on time.
    expect(sentAt).toEqual([0, 1000, 2700, 3000, 4000]);
  });

  it('waits for backpressure before the next sample', async () => {
    const clock = virtualClock(0);
    const scheduler = new FleetScheduler({ pumps: 2, intervalMs: 100, startMs: 0, rounds: 2 }, clock);
    const order: string[] = [];
    await scheduler.run((pump, round) => {
      order.push(`send ${round}.${pump}`);
      return round === 0 && pump === 0
        ? new Promise<void>((resolve) =>
            setTimeout(() => {
              order.push('acked');
              resolve();
            }, 5),
          )
        : undefined;
    });
    expect(order.slice(0, 3)).toEqual(['send 0.0', 'acked', 'send 0.1']);
  });

  it('stops when asked, mid-round', async () => {
    const clock = virtualClock(0);
    const scheduler = new FleetScheduler(
      { pumps: 10, intervalMs: 100, startMs: 0, rounds: Number.POSITIVE_INFINITY },
      clock,
    );
    let calls = 0;
    await scheduler.run(() => {
      calls += 1;
      if (calls === 25) scheduler.stop();
      return undefined;
    });
    expect(calls).toBe(25);
  });
});
