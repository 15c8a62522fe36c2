/**
 * Per-pump smoothing with two thresholds. Entering FAULTY or BROKEN (an alarm) needs `agree` of the
 * pump's last `window` per-sample states, so a 1–3 sample glitch cannot raise one; entering HEALTHY or
 * WARNING needs only the last `calm` states in a row, so the reported state follows a repair or the
 * first signs of wear without lagging.
 */
import { ALARM_STATES, type PumpState } from '@pdm/contract';

export interface SmoothedState {
  readonly state: PumpState;
  /** the state before this sample; equal to `state` when nothing changed */
  readonly previous: PumpState;
  /** the per-sample states in the window, oldest first: the evidence for a change (copy it to keep it) */
  readonly recent: readonly PumpState[];
}

export interface SmoothingRule {
  readonly window: number;
  /** of the last `window` states, how many must name an alarm state to enter it */
  readonly agree: number;
  /** how many latest states in a row must name a calm state to enter it */
  readonly calm: number;
}

interface PumpHistory {
  readonly raw: PumpState[];
  state: PumpState;
}

export class Smoother {
  readonly #pumps = new Map<string, PumpHistory>();
  readonly #rule: SmoothingRule;

  constructor(rule: SmoothingRule) {
    const { window, agree, calm } = rule;
    if (agree < 1 || agree > window)
      throw new RangeError(`agree (${agree}) must be between 1 and window (${window})`);
    if (calm < 1 || calm > window)
      throw new RangeError(`calm (${calm}) must be between 1 and window (${window})`);
    this.#rule = rule;
  }

  /** pumps with a history */
  get pumps(): number {
    return this.#pumps.size;
  }

  forget(pumpId: string): void {
    this.#pumps.delete(pumpId);
  }

  update(pumpId: string, raw: PumpState): SmoothedState {
    let history = this.#pumps.get(pumpId);
    if (!history) {
      // A pump's first sample is all there is to go on.
      history = { raw: [], state: raw };
      this.#pumps.set(pumpId, history);
    }
    const recent = history.raw;
    recent.push(raw);
    if (recent.length > this.#rule.window) recent.shift();
    const previous = history.state;
    if (raw !== previous) {
      const enough = ALARM_STATES.includes(raw)
        ? count(recent, raw) >= this.#rule.agree
        : recent.length >= this.#rule.calm && recent.slice(-this.#rule.calm).every((s) => s === raw);
      if (enough) history.state = raw;
    }
    // The live window itself, not a copy: this runs for every sample, and only an alert keeps it.
    return { state: history.state, previous, recent };
  }
}

function count(states: readonly PumpState[], state: PumpState): number {
  let n = 0;
  for (const s of states) if (s === state) n += 1;
  return n;
}
