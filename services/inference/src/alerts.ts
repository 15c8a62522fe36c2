/**
 * When a change of smoothed state is worth an alert: entering FAULTY or BROKEN (an escalation to BROKEN
 * included), and returning to HEALTHY from there. Debounced per pump, so a flapping pump cannot flood
 * the alerts topic.
 */
import { ALARM_STATES, type Alert, type PumpState } from '@pdm/contract';

export type AlertKind = Alert['kind'];

export class AlertPolicy {
  readonly #lastAlertTs = new Map<string, number>();
  readonly #minIntervalMs: number;
  #suppressed = 0;

  constructor(minIntervalMs: number) {
    this.#minIntervalMs = minIntervalMs;
  }

  /** pumps with an alert on record */
  get pumps(): number {
    return this.#lastAlertTs.size;
  }

  /** alerts swallowed by the debounce so far */
  get suppressed(): number {
    return this.#suppressed;
  }

  /** The alert this change calls for, if any; `ts` is device time. */
  decide(pumpId: string, previous: PumpState, state: PumpState, ts: number): AlertKind | undefined {
    if (state === previous) return undefined;
    const wasAlarm = ALARM_STATES.includes(previous);
    const isAlarm = ALARM_STATES.includes(state);
    let kind: AlertKind | undefined;
    if (isAlarm && (!wasAlarm || state === 'BROKEN')) kind = 'alarm';
    else if (state === 'HEALTHY' && wasAlarm) kind = 'recovered';
    if (!kind) return undefined;
    const last = this.#lastAlertTs.get(pumpId);
    // An escalation to BROKEN always gets through; anything else waits out the interval. Device time
    // before the last alert means the pump's window started over (its clock went back, see
    // RESTART_AFTER): the interval cannot be judged then, and waiting for the clock to catch up with a
    // stray future timestamp would silence the pump.
    if (last !== undefined && ts >= last && ts - last < this.#minIntervalMs && state !== 'BROKEN') {
      this.#suppressed += 1;
      return undefined;
    }
    this.#lastAlertTs.set(pumpId, ts);
    return kind;
  }

  forget(pumpId: string): void {
    this.#lastAlertTs.delete(pumpId);
  }
}
