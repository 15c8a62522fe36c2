/** An alarm as the notifier keeps it: one per pump and alarm name while it fires, kept once resolved. */
import { ALARM_STATE_NAMES, type AlarmState, type Alert } from '@pdm/contract';

/**
 * What a notifier alarm is about, the `state` label it is routed, grouped and inhibited by (as Alertmanager's
 * alertname): a state alarm's state, FAULTY or BROKEN, or RUL_LOW for a `rul_low` alert (the pump's remaining
 * useful life fell below inference's ALERT_RUL_H: plan the repair now). In order of severity.
 */
export const ALARM_NAMES = ['RUL_LOW', ...ALARM_STATE_NAMES] as const;
export type AlarmName = (typeof ALARM_NAMES)[number];

/** The alarm an alert raises or refreshes; undefined for a recovery, which resolves them. */
export function alarmNameOf(alert: Alert): AlarmName | undefined {
  if (alert.kind === 'rul_low') return 'RUL_LOW';
  if (alert.kind === 'alarm') return alert.state as AlarmState;
  return undefined;
}

/** An alarm name as people read it: "RUL low", or the state. */
export function alarmLabel(name: AlarmName): string {
  return name === 'RUL_LOW' ? 'RUL low' : name;
}

export interface AckRecord {
  readonly by: string;
  readonly at: number;
  readonly via: 'telegram' | 'api';
}

export interface AlarmRecord {
  readonly id: number;
  readonly pumpId: string;
  readonly state: AlarmName;
  readonly status: 'firing' | 'resolved';
  /** wall-clock ms when it began firing here */
  readonly startsAt: number;
  readonly endsAt: number | undefined;
  /** the latest alert message that raised or refreshed it */
  readonly alert: Alert;
  /** the recovery message that resolved it */
  readonly recovery: Alert | undefined;
  readonly ack: AckRecord | undefined;
}
