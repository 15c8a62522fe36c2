/**
 * Live accuracy of what is on the bus: LiveScorer (from @pdm/contract) fed with the predictions and the
 * ground truth. A prediction that raised an alarm is published before its alert, so each pump's latest
 * prediction waits until its alert (same seq), its next prediction, or a few seconds, whichever comes
 * first, to be scored with or without the alarm: that is how false alarms are counted.
 */
import { LiveScorer, type PumpState } from '@pdm/contract';
import type { ModelResponse } from './api/contract.ts';

/** How long a prediction waits for an alert of its own before it is scored without one. */
export const ALERT_WAIT_MS = 5_000;

interface Waiting {
  seq: number;
  state: PumpState;
  at: number;
  /** false once scored */
  pending: boolean;
}

export class LiveScoring {
  readonly #scorer = new LiveScorer();
  readonly #waiting = new Map<string, Waiting>();

  truth(pumpId: string, seq: number, state: PumpState): void {
    this.#scorer.addTruth(pumpId, seq, state);
  }

  prediction(pumpId: string, seq: number, state: PumpState, now: number): void {
    const waiting = this.#waiting.get(pumpId);
    if (waiting === undefined) {
      this.#waiting.set(pumpId, { seq, state, at: now, pending: true });
      return;
    }
    if (waiting.pending) this.#scorer.addPrediction(pumpId, waiting.seq, waiting.state, false);
    waiting.seq = seq;
    waiting.state = state;
    waiting.at = now;
    waiting.pending = true;
  }

  alarm(pumpId: string, seq: number): void {
    const waiting = this.#waiting.get(pumpId);
    if (waiting?.pending !== true || waiting.seq !== seq) return;
    this.#scorer.addPrediction(pumpId, waiting.seq, waiting.state, true);
    waiting.pending = false;
  }

  /** Scores the predictions that waited long enough for an alert; once a second. */
  flush(now: number): void {
    for (const [pumpId, waiting] of this.#waiting) {
      if (!waiting.pending || now - waiting.at < ALERT_WAIT_MS) continue;
      this.#scorer.addPrediction(pumpId, waiting.seq, waiting.state, false);
      waiting.pending = false;
    }
  }

  /** For /api/model: null until a prediction was matched with its ground truth. */
  summary(): ModelResponse['live'] {
    const s = this.#scorer;
    if (s.scored === 0) return null;
    return {
      scored: s.scored,
      accuracy: s.accuracy,
      falseAlarms: s.falseAlarms,
      confusion: s.confusion.map((row) => [...row]),
    };
  }
}
