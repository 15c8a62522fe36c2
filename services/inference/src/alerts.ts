/**
 * When a change of smoothed state is worth an alert: entering FAULTY or BROKEN (an escalation to BROKEN
 * included), and returning to HEALTHY from there. Debounced per pump, so a flapping pump cannot flood
 * the alerts topic. And when a pump's smoothed remaining useful life falls below a threshold (`rul_low`):
 * once per crossing, armed again only once it has risen clearly above (hysteresis) or the pump was
 * repaired, so a RUL that hovers at the threshold cannot flood it either.
 */
import { ALARM_STATES, type AlertKind, type PumpState } from '@pdm/contract';

export type { AlertKind };

export interface RulAlertRule {
  /** a smoothed RUL below this many hours raises `rul_low` */
  readonly belowH: number;
  /** armed again once the RUL is above belowH × this (> 1) */
  readonly rearmFactor: number;
}

export class AlertPolicy {
  readonly #lastAlertTs = new Map<string, number>();
  /** pumps whose RUL is below the threshold and said so: they wait to be armed again */
  readonly #rulLow = new Set<string>();
  readonly #minIntervalMs: number;
  readonly #rul: RulAlertRule | undefined;
  #suppressed = 0;

  /** Without `rul`, no `rul_low` alerts (ALERT_RUL_H unset). */
  constructor(minIntervalMs: number, rul?: RulAlertRule) {
    if (rul && !(rul.belowH > 0 && rul.rearmFactor > 1))
      throw new RangeError(
        `rul_low needs a threshold > 0 and a re-arm factor > 1, not ${JSON.stringify(rul)}`,
      );
    this.#minIntervalMs = minIntervalMs;
    this.#rul = rul;
  }

  /** pumps with an alert on record */
  get pumps(): number {
    let n = this.#lastAlertTs.size;
    for (const id of this.#rulLow) if (!this.#lastAlertTs.has(id)) n += 1;
    return n;
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

  /**
   * Whether the pump's smoothed RUL `rulH` calls for a `rul_low` alert: it is below the threshold, the
   * pump's smoothing window is full (`settled`: one early row does not decide), and the pump is armed.
   * `repaired` (its state just went from BROKEN back to HEALTHY: a new lifecycle) arms it again, and so
   * does a RUL above the threshold times the re-arm factor.
   */
  decideRul(pumpId: string, rulH: number, settled: boolean, repaired: boolean): boolean {
    const rule = this.#rul;
    if (!rule) return false;
    if (repaired || rulH > rule.belowH * rule.rearmFactor) this.#rulLow.delete(pumpId);
    if (!settled || rulH >= rule.belowH || this.#rulLow.has(pumpId)) return false;
    this.#rulLow.add(pumpId);
    return true;
  }

  forget(pumpId: string): void {
    this.#lastAlertTs.delete(pumpId);
    this.#rulLow.delete(pumpId);
  }
}
