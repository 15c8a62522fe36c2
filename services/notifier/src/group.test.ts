import { describe, expect, it } from 'vitest';
import { planFlush } from './group.ts';
import { alarmRecord, T0 } from './testing/alerts.ts';

const HOUR = 3_600_000;
const flush = (input: Partial<Parameters<typeof planFlush>[0]>) =>
  planFlush({
    now: T0,
    members: [],
    memory: { lastSentAt: undefined, notified: new Set() },
    repeatIntervalMs: 4 * HOUR,
    sendResolved: true,
    muteOf: () => undefined,
    ...input,
  });

describe('a group flush', () => {
  const fifty = Array.from({ length: 50 }, (_, i) => alarmRecord(i + 1, `pump-${i}`, 'FAULTY'));

  it('sends fifty pumps that tripped together as one message listing them all', () => {
    const plan = flush({ members: fifty });
    expect(plan.send?.reason).toBe('update');
    expect(plan.send?.firing).toHaveLength(50);
    expect(plan.send?.newIds).toHaveLength(50);
    expect(plan.memory.notified.size).toBe(50);
  });

  it('sends nothing when nothing changed and the repeat interval has not passed', () => {
    const memory = { lastSentAt: T0, notified: new Set(fifty.map((a) => a.id)) };
    expect(flush({ now: T0 + HOUR, members: fifty, memory }).send).toBeUndefined();
  });

  it('repeats the open alarms once the repeat interval has passed', () => {
    const memory = { lastSentAt: T0, notified: new Set(fifty.map((a) => a.id)) };
    const plan = flush({ now: T0 + 4 * HOUR, members: fifty, memory });
    expect(plan.send?.reason).toBe('repeat');
    expect(plan.memory.lastSentAt).toBe(T0 + 4 * HOUR);
  });

  it('leaves acknowledged alarms out of a repeat, and repeats nothing when all are acknowledged', () => {
    const ack = { by: '@alice', at: T0, via: 'telegram' as const };
    const members = [alarmRecord(1, 'pump-1', 'FAULTY', { ack }), alarmRecord(2, 'pump-2', 'FAULTY')];
    const memory = { lastSentAt: T0, notified: new Set([1, 2]) };
    expect(flush({ now: T0 + 5 * HOUR, members, memory }).send?.firing.map((a) => a.id)).toEqual([2]);
    const allAcked = members.map((m) => ({ ...m, ack }));
    expect(flush({ now: T0 + 5 * HOUR, members: allAcked, memory }).send).toBeUndefined();
  });

  it('sends a resolved notice for an alarm it had notified, and lets it leave the group', () => {
    const resolved = alarmRecord(1, 'pump-1', 'FAULTY', { status: 'resolved', endsAt: T0 + HOUR });
    const plan = flush({
      now: T0 + HOUR,
      members: [resolved],
      memory: { lastSentAt: T0, notified: new Set([1]) },
    });
    expect(plan.send?.resolved.map((a) => a.id)).toEqual([1]);
    expect(plan.leaving).toEqual([1]);
  });

  it('sends no resolved notice for an alarm nobody was told about', () => {
    const resolved = alarmRecord(1, 'pump-1', 'FAULTY', { status: 'resolved' });
    const plan = flush({ members: [resolved] });
    expect(plan.send).toBeUndefined();
    expect(plan.leaving).toEqual([1]);
  });

  it('keeps resolved notices back on a route that does not want them', () => {
    const resolved = alarmRecord(1, 'pump-1', 'FAULTY', { status: 'resolved' });
    const plan = flush({
      members: [resolved],
      memory: { lastSentAt: T0, notified: new Set([1]) },
      sendResolved: false,
    });
    expect(plan.send).toBeUndefined();
  });

  it('leaves a muted alarm out, and sends it as new once it is no longer muted', () => {
    const members = [alarmRecord(1, 'pump-1', 'FAULTY'), alarmRecord(2, 'pump-2', 'FAULTY')];
    const muted = flush({ members, muteOf: (a) => (a.id === 1 ? 'silenced' : undefined) });
    expect(muted.send?.firing.map((a) => a.id)).toEqual([2]);
    expect(muted.muted.get(1)).toBe('silenced');
    const later = flush({ now: T0 + HOUR, members, memory: muted.memory });
    expect(later.send?.newIds).toEqual([1]);
  });
});
