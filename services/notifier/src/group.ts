/**
 * Grouping, as Alertmanager does it: what one flush of a group sends. A group's first flush comes
 * group_wait after it opened, the next ones group_interval apart. A flush sends the group when it
 * changed (a new alarm, or one resolved that was notified firing); otherwise it repeats the open alarms
 * once repeat_interval has passed since the last message, leaving out acknowledged ones.
 */
import type { AlarmRecord } from './alerts.ts';

export type Mute = 'silenced' | 'inhibited';

export interface GroupMemory {
  /** when the group last sent a message */
  readonly lastSentAt: number | undefined;
  /** alarms the last message showed firing */
  readonly notified: ReadonlySet<number>;
}

export interface FlushPlan {
  readonly send:
    | {
        readonly reason: 'update' | 'repeat';
        readonly firing: readonly AlarmRecord[];
        readonly resolved: readonly AlarmRecord[];
        /** firing alarms not shown before */
        readonly newIds: readonly number[];
      }
    | undefined;
  readonly memory: GroupMemory;
  /** resolved members to leave the group: notified now, or never notified at all */
  readonly leaving: readonly number[];
  /** members muted at this flush, by why */
  readonly muted: ReadonlyMap<number, Mute>;
}

export function planFlush(input: {
  readonly now: number;
  readonly members: readonly AlarmRecord[];
  readonly memory: GroupMemory;
  readonly repeatIntervalMs: number;
  readonly sendResolved: boolean;
  /** why an alarm is muted now, if it is */
  readonly muteOf: (alarm: AlarmRecord) => Mute | undefined;
}): FlushPlan {
  const { now, members, memory } = input;
  const muted = new Map<number, Mute>();
  const notifiable: AlarmRecord[] = [];
  for (const m of members) {
    if (m.status !== 'firing') continue;
    const mute = input.muteOf(m);
    if (mute) muted.set(m.id, mute);
    else notifiable.push(m);
  }
  const resolved = members.filter((m) => m.status === 'resolved' && memory.notified.has(m.id));
  const newIds = notifiable.filter((m) => !memory.notified.has(m.id)).map((m) => m.id);
  const resolvedToSend = input.sendResolved ? resolved : [];
  let send: FlushPlan['send'];
  if (newIds.length > 0 || resolvedToSend.length > 0) {
    send = { reason: 'update', firing: notifiable, resolved: resolvedToSend, newIds };
  } else {
    const open = notifiable.filter((m) => m.ack === undefined);
    const due = memory.lastSentAt !== undefined && now - memory.lastSentAt >= input.repeatIntervalMs;
    if (open.length > 0 && due) send = { reason: 'repeat', firing: open, resolved: [], newIds: [] };
  }
  return {
    send,
    memory: { lastSentAt: send ? now : memory.lastSentAt, notified: new Set(notifiable.map((m) => m.id)) },
    leaving: members.filter((m) => m.status === 'resolved').map((m) => m.id),
    muted,
  };
}
