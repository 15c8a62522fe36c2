/**
 * What one notification says, fixed when its group flushes and stored in the outbox as JSON: each
 * receiver renders it when it sends, so a retry sends the same message with the same idempotency key.
 */
import type { Alert } from '@pdm/contract';
import { ALARM_NAMES, type AlarmName, type AlarmRecord } from './alerts.ts';

export interface AlarmView {
  readonly id: number;
  readonly pump_id: string;
  readonly state: AlarmName;
  readonly status: 'firing' | 'resolved';
  /** epoch ms */
  readonly starts_at: number;
  readonly ends_at: number | null;
  /** first shown in this notification */
  readonly new: boolean;
  readonly acknowledged: { readonly by: string; readonly at: number } | null;
  /** the alert message that raised the alarm, as inference published it */
  readonly alert: Alert;
}

export type NotificationKind = 'alarm' | 'repeat' | 'resolved' | 'test';

export interface NotificationContent {
  /** alarm: new alarms (and any news); repeat: still open, unacknowledged; resolved: only recoveries */
  readonly kind: NotificationKind;
  readonly route: string;
  readonly group: { readonly key: string; readonly labels: Readonly<Record<string, string>> };
  readonly firing: readonly AlarmView[];
  readonly resolved: readonly AlarmView[];
  /** epoch ms: when the group flushed */
  readonly created_at: number;
}

function view(a: AlarmRecord, isNew: boolean): AlarmView {
  return {
    id: a.id,
    pump_id: a.pumpId,
    state: a.state,
    status: a.status,
    starts_at: a.startsAt,
    ends_at: a.endsAt ?? null,
    new: isNew,
    acknowledged: a.ack ? { by: a.ack.by, at: a.ack.at } : null,
    alert: a.alert,
  };
}

export function notificationContent(input: {
  readonly reason: 'update' | 'repeat';
  readonly route: string;
  readonly group: NotificationContent['group'];
  readonly firing: readonly AlarmRecord[];
  readonly resolved: readonly AlarmRecord[];
  readonly newIds: readonly number[];
  readonly now: number;
}): NotificationContent {
  const fresh = new Set(input.newIds);
  return {
    kind: input.reason === 'repeat' ? 'repeat' : fresh.size > 0 ? 'alarm' : 'resolved',
    route: input.route,
    group: input.group,
    // New alarms first, the worst state first, then by pump.
    firing: input.firing
      .map((a) => view(a, fresh.has(a.id)))
      .sort(
        (a, b) =>
          Number(b.new) - Number(a.new) ||
          ALARM_NAMES.indexOf(b.state) - ALARM_NAMES.indexOf(a.state) ||
          a.pump_id.localeCompare(b.pump_id),
      ),
    resolved: input.resolved.map((a) => view(a, false)),
    created_at: input.now,
  };
}

/** The message `pnpm notifier --test` sends through every receiver. */
export function testContent(now: number): NotificationContent {
  return {
    kind: 'test',
    route: 'test',
    group: { key: 'test', labels: {} },
    firing: [],
    resolved: [],
    created_at: now,
  };
}
