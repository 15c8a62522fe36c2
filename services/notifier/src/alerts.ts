/** An alarm as the notifier keeps it: one per pump and alarm state while it fires, kept once resolved. */
import type { AlarmState, Alert } from '@pdm/contract';

export interface AckRecord {
  readonly by: string;
  readonly at: number;
  readonly via: 'telegram' | 'api';
}

export interface AlarmRecord {
  readonly id: number;
  readonly pumpId: string;
  readonly state: AlarmState;
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
