/**
 * Per-pump smoothing: the reported state changes only when at least `agree` of the pump's last `window`
 * per-sample states name the new state. A 1–3 sample glitch cannot flip a pump; a real change can.
 */
import type { PumpState } from '@pdm/telemetry';

export interface SmoothedState {
  readonly state: PumpState;
  /** the state before this sample; equal to `state` when nothing changed */
  readonly previous: PumpState;
  /** the per-sample states in the window, oldest first: the evidence for a change */
  readonly recent: readonly PumpState[];
}

interface PumpHistory {
  readonly raw: PumpState[];
  state: PumpState;
}

export class Smoother {
  readonly #pumps = new Map<string, PumpHistory>();
  readonly #window: number;
  readonly #agree: number;

  constructor(window: number, agree: number) {
    if (agree < 1 || agree > window)
      throw new RangeError(`agree (${agree}) must be between 1 and window (${window})`);
    this.#window = window;
    this.#agree = agree;
  }

  update(pumpId: string, raw: PumpState): SmoothedState {
    let history = this.#pumps.get(pumpId);
    if (!history) {
      // A pump's first sample is all there is to go on.
      history = { raw: [], state: raw };
      this.#pumps.set(pumpId, history);
    }
    history.raw.push(raw);
    if (history.raw.length > this.#window) history.raw.shift();
    const previous = history.state;
    if (raw !== previous && count(history.raw, raw) >= this.#agree) history.state = raw;
    return { state: history.state, previous, recent: [...history.raw] };
  }
}

function count(states: readonly PumpState[], state: PumpState): number {
  let n = 0;
  for (const s of states) if (s === state) n += 1;
  return n;
}
