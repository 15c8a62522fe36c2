/**
 * Live scoring: each smoothed prediction is matched with the ground truth of the same pump and seq,
 * whichever arrives first, and counted in a confusion matrix. Alarms raised while the truth was HEALTHY
 * are counted as false alarms. Where the prediction carries a remaining useful life, its error against
 * the truth's is counted too (mean absolute and root mean square, in hours).
 */
import { PUMP_STATES, type PumpState } from './states.ts';

interface PendingPrediction {
  readonly state: PumpState;
  readonly alarm: boolean;
  /** the predicted remaining useful life in hours, where a RUL model serves */
  readonly rulH: number | undefined;
}

interface PendingTruth {
  readonly state: PumpState;
  readonly rulH: number | undefined;
}

const stateIndex = new Map(PUMP_STATES.map((s, i) => [s, i]));

export class LiveScorer {
  /** confusion[truth][predicted], in PUMP_STATES order */
  readonly confusion: number[][] = PUMP_STATES.map(() => PUMP_STATES.map(() => 0));
  #scored = 0;
  #correct = 0;
  #falseAlarms = 0;
  #alarmsScored = 0;
  #healthyScored = 0;
  #rulScored = 0;
  #rulAbsError = 0;
  #rulSquaredError = 0;
  readonly #truths = new Map<string, PendingTruth>();
  readonly #predictions = new Map<string, PendingPrediction>();
  readonly #maxPending: number;
  #truthSeen = false;

  constructor(maxPending = 200_000) {
    this.#maxPending = maxPending;
  }

  get scored(): number {
    return this.#scored;
  }
  get accuracy(): number {
    return this.#scored === 0 ? 0 : this.#correct / this.#scored;
  }
  get falseAlarms(): number {
    return this.#falseAlarms;
  }
  get alarmsScored(): number {
    return this.#alarmsScored;
  }
  /** scored samples whose truth was HEALTHY: the exposure false alarms are counted against */
  get healthyScored(): number {
    return this.#healthyScored;
  }

  /** scored predictions that carried a remaining useful life, against a truth that had one */
  get rulScored(): number {
    return this.#rulScored;
  }
  /** mean absolute error of the predicted remaining useful life, hours; NaN before the first */
  get rulMae(): number {
    return this.#rulScored === 0 ? Number.NaN : this.#rulAbsError / this.#rulScored;
  }
  /** root mean square error of the predicted remaining useful life, hours; NaN before the first */
  get rulRmse(): number {
    return this.#rulScored === 0 ? Number.NaN : Math.sqrt(this.#rulSquaredError / this.#rulScored);
  }

  /** predictions and truths waiting for their other half */
  get pending(): number {
    return this.#truths.size + this.#predictions.size;
  }

  /** Drops what waits for these pumps, e.g. pumps gone silent. One pass over what waits. */
  forget(pumpIds: ReadonlySet<string>): void {
    if (pumpIds.size === 0) return;
    for (const map of [this.#truths, this.#predictions]) {
      for (const key of map.keys()) {
        if (pumpIds.has(key.slice(0, key.lastIndexOf('#')))) map.delete(key);
      }
    }
  }

  /** `rulH`: the truth's remaining useful life in hours */
  addTruth(pumpId: string, seq: number, state: PumpState, rulH?: number): void {
    this.#truthSeen = true;
    const key = `${pumpId}#${seq}`;
    const prediction = this.#predictions.get(key);
    const truth = { state, rulH };
    if (prediction) {
      this.#predictions.delete(key);
      this.#score(truth, prediction);
    } else remember(this.#truths, key, truth, this.#maxPending);
  }

  /** `rulH`: the predicted remaining useful life in hours, where a RUL model serves */
  addPrediction(pumpId: string, seq: number, state: PumpState, alarm: boolean, rulH?: number): void {
    // With no ground truth on the bus (a real fleet), there is nothing to wait for.
    if (!this.#truthSeen) return;
    const key = `${pumpId}#${seq}`;
    const truth = this.#truths.get(key);
    const prediction = { state, alarm, rulH };
    if (truth) {
      this.#truths.delete(key);
      this.#score(truth, prediction);
    } else remember(this.#predictions, key, prediction, this.#maxPending);
  }

  #score({ state: truth, rulH }: PendingTruth, prediction: PendingPrediction): void {
    if (rulH !== undefined && prediction.rulH !== undefined) {
      const error = prediction.rulH - rulH;
      this.#rulScored += 1;
      this.#rulAbsError += Math.abs(error);
      this.#rulSquaredError += error * error;
    }
    const t = stateIndex.get(truth) as number;
    const p = stateIndex.get(prediction.state) as number;
    (this.confusion[t] as number[])[p] = ((this.confusion[t] as number[])[p] as number) + 1;
    this.#scored += 1;
    if (t === p) this.#correct += 1;
    if (truth === 'HEALTHY') this.#healthyScored += 1;
    if (prediction.alarm) {
      this.#alarmsScored += 1;
      if (truth === 'HEALTHY') this.#falseAlarms += 1;
    }
  }
}

/** Bounded: when the other side never comes (no ground truth for a pump), the oldest entries go. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value as string);
}
