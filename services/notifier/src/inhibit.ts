/** Inhibition, as Alertmanager does it: a firing alarm of one state mutes another state's of the same pump. */
import type { AlarmName } from './alerts.ts';
import type { InhibitRule } from './config.ts';

export interface PumpAlarm {
  readonly pumpId: string;
  readonly state: AlarmName;
}

/**
 * Whether `alarm` is muted by another firing alarm of its pump (by default BROKEN mutes FAULTY and
 * RUL_LOW: a broken pump needs its repair now, not planned).
 */
export function isInhibited(
  alarm: PumpAlarm,
  firing: readonly PumpAlarm[],
  rules: readonly InhibitRule[],
): boolean {
  return rules.some(
    (rule) =>
      rule.target === alarm.state &&
      rule.source !== rule.target &&
      firing.some((f) => f.pumpId === alarm.pumpId && f.state === rule.source),
  );
}
