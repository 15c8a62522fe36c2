/**
 * The per-pump streaming feature extractor. Raw samples of each pump go in in time order; a feature
 * vector comes out for each. The same code serves the training export and live inference, so the
 * model sees the same numbers in both. The export reads each pump in time order, so it only ever gets
 * 'ok'; the other verdicts are for a live stream, where redeliveries and bad clocks happen.
 */
import type { Telemetry } from '@pdm/contract';
import { FEATURE_COUNT, FEATURE_DECIMALS, REFERENCE_RPM, WINDOW } from './features.ts';

const SCALE = 10 ** FEATURE_DECIMALS;
const round = (x: number) => Math.round(x * SCALE) / SCALE;

/**
 * What push() did with a sample. The stream of one pump is ordered (MQTT keeps a publisher's order per
 * topic), so a sample that is not newer than the pump's newest one is either a copy from the stream's
 * past or a sign that the pump's clock went wrong; `seq` tells them apart.
 * - `ok`: features written;
 * - `restarted`: features written, from a new window that starts with this sample: the pump's time
 *   had run backwards for RESTART_AFTER samples in a row (or RESTART_AFTER_REWIND, see there);
 * - `duplicate`: nothing written; the sample was already seen: the window holds its device time, or
 *   both its device time and its seq lie before the newest sample's (a redelivery, a resend);
 * - `out_of_order`: nothing written; older than the pump's newest sample although its seq comes after
 *   it: the stream moved on and its clock went back.
 */
export type PushVerdict = 'ok' | 'restarted' | 'duplicate' | 'out_of_order';

/**
 * Out-of-order samples in a row after which a pump's window starts over with the last of them. One
 * sample stamped far in the future would otherwise make every later sample of the pump "older" and
 * silence it for good. Device time is not judged against the wall clock: a replay or a simulator's
 * virtual clock runs ahead of it legitimately. A lone late sample stays a skip; it takes a clock that
 * stays behind to start over.
 */
export const RESTART_AFTER = 3;

/**
 * Older samples in a row, numbered before the newest one too and not in the window, after which the
 * window starts over: a source that started again from an earlier time and seq, such as a simulator
 * restarted after running ahead with --time-scale. Until then they count as duplicates, since a
 * redelivery after a reconnect looks the same, and a redelivered sample must not be predicted twice;
 * a pump's share of a redelivery (at most the broker's in-flight window) is rarely this long.
 */
export const RESTART_AFTER_REWIND = 100;

/** Whether push() wrote features for the sample. */
export function yieldsFeatures(verdict: PushVerdict): boolean {
  return verdict === 'ok' || verdict === 'restarted';
}

/** Rolling history of one pump: fixed-size rings, no allocation per sample. */
class PumpWindow {
  lastTs = Number.NEGATIVE_INFINITY;
  lastSeq = 0;
  count = 0;
  next = 0;
  /** out-of-order samples in a row since the newest one */
  ahead = 0;
  /** older samples with an older seq in a row since the newest one, not counting those in the window */
  rewound = 0;
  readonly ts = new Float64Array(WINDOW);
  readonly vibration = new Float64Array(WINDOW);
  readonly temperature = new Float64Array(WINDOW);
  readonly pressure = new Float64Array(WINDOW);
  readonly flow = new Float64Array(WINDOW);
  readonly current = new Float64Array(WINDOW);
  readonly rpm = new Float64Array(WINDOW);
  readonly axialRatio = new Float64Array(WINDOW);

  /**
   * The verdict on a sample not newer than the newest one. Runs only off the hot path: a live stream
   * is in order.
   */
  judgeOlder(s: Telemetry): PushVerdict {
    if (s.ts === this.lastTs || this.holds(s.ts)) return 'duplicate';
    if (s.seq > this.lastSeq) {
      this.rewound = 0;
      this.ahead += 1;
      if (this.ahead < RESTART_AFTER) return 'out_of_order';
    } else {
      this.ahead = 0;
      this.rewound += 1;
      if (this.rewound < RESTART_AFTER_REWIND) return 'duplicate';
    }
    this.count = 0;
    this.next = 0;
    return 'restarted';
  }

  /** whether the window holds a sample with this device time */
  holds(ts: number): boolean {
    for (let i = 0; i < this.count; i++) if (this.ts[i] === ts) return true;
    return false;
  }

  push(s: Telemetry): void {
    const i = this.next;
    this.ts[i] = s.ts;
    this.vibration[i] = s.vibration_rms;
    this.temperature[i] = s.temperature;
    this.pressure[i] = s.pressure;
    this.flow[i] = s.flow;
    this.current[i] = s.current;
    this.rpm[i] = s.rpm;
    this.axialRatio[i] = s.vibration_x > 0 ? s.vibration_z / s.vibration_x : 0;
    this.next = (i + 1) % WINDOW;
    if (this.count < WINDOW) this.count += 1;
    this.lastTs = s.ts;
    this.lastSeq = s.seq;
    this.ahead = 0;
    this.rewound = 0;
  }
}

const scratch = new Float64Array(WINDOW);

export class FeatureExtractor {
  readonly #pumps = new Map<string, PumpWindow>();

  /** pumps with history */
  get pumps(): number {
    return this.#pumps.size;
  }

  /**
   * Adds a sample to its pump's window and writes the features into `out` at `offset`.
   * A sample not newer than the pump's last one (a redelivery or a reordered message) is skipped,
   * writing nothing: features need time order, and a duplicate must not count twice. See PushVerdict.
   * Until the window is full, the statistics cover the samples seen so far.
   */
  push(sample: Telemetry, out: Float32Array | Float64Array, offset = 0): PushVerdict {
    let verdict: PushVerdict = 'ok';
    let w = this.#pumps.get(sample.pump_id);
    if (!w) {
      w = new PumpWindow();
      this.#pumps.set(sample.pump_id, w);
    } else if (sample.ts <= w.lastTs) {
      verdict = w.judgeOlder(sample);
      if (verdict !== 'restarted') return verdict;
    }
    w.push(sample);
    const n = w.count;

    const vibMean = mean(w.vibration, n);
    const pressureMean = mean(w.pressure, n);
    const flowMean = mean(w.flow, n);
    const currentMean = mean(w.current, n);
    const speed = Math.max(mean(w.rpm, n) / REFERENCE_RPM, 0.05);

    let k = offset;
    out[k++] = round(sample.vibration_x);
    out[k++] = round(sample.vibration_y);
    out[k++] = round(sample.vibration_z);
    out[k++] = round(sample.vibration_rms);
    out[k++] = round(sample.temperature);
    out[k++] = round(sample.pressure);
    out[k++] = round(sample.flow);
    out[k++] = round(sample.current);
    out[k++] = round(sample.rpm);
    out[k++] = round(vibMean);
    out[k++] = round(median(w.vibration, n));
    out[k++] = round(max(w.vibration, n));
    out[k++] = round(std(w.vibration, n, vibMean));
    out[k++] = round(mean(w.temperature, n));
    out[k++] = round(slopePerMinute(w.ts, w.temperature, n, w.next));
    out[k++] = round(pressureMean);
    out[k++] = round(std(w.pressure, n, pressureMean));
    out[k++] = round(flowMean);
    out[k++] = round(currentMean);
    out[k++] = round(median(w.axialRatio, n));
    out[k++] = round(pressureMean / (speed * speed));
    out[k++] = round(flowMean / speed);
    out[k++] = round(currentMean / (speed * speed * speed));
    if (k - offset !== FEATURE_COUNT) throw new Error('feature extractor and FEATURES disagree');
    return verdict;
  }

  /** The device time of the pump's newest sample, if it has a window. */
  newestTs(pumpId: string): number | undefined {
    return this.#pumps.get(pumpId)?.lastTs;
  }

  /** Forgets a pump's history, e.g. when its stream restarts or it went silent. */
  forget(pumpId: string): void {
    this.#pumps.delete(pumpId);
  }
}

// Statistics over the first n slots of a ring; order does not matter except for the slope.

function mean(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] as number;
  return s / n;
}

function max(a: Float64Array, n: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) if ((a[i] as number) > m) m = a[i] as number;
  return m;
}

/** Population standard deviation. */
function std(a: Float64Array, n: number, m: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += ((a[i] as number) - m) ** 2;
  return Math.sqrt(s / n);
}

function median(a: Float64Array, n: number): number {
  for (let i = 0; i < n; i++) scratch[i] = a[i] as number;
  // Insertion sort: n ≤ 10, faster than a general sort and allocation-free.
  for (let i = 1; i < n; i++) {
    const v = scratch[i] as number;
    let j = i - 1;
    while (j >= 0 && (scratch[j] as number) > v) {
      scratch[j + 1] = scratch[j] as number;
      j--;
    }
    scratch[j + 1] = v;
  }
  const mid = n >> 1;
  return n % 2 === 1
    ? (scratch[mid] as number)
    : ((scratch[mid - 1] as number) + (scratch[mid] as number)) / 2;
}

const MS_PER_MINUTE = 60_000;

/**
 * Least-squares slope of `y` against device time, per minute, over the ring, oldest to newest. Time is
 * counted from the oldest sample, so the epoch milliseconds never meet the squares.
 */
function slopePerMinute(ts: Float64Array, y: Float64Array, n: number, next: number): number {
  if (n < 2) return 0;
  const start = n < WINDOW ? 0 : next;
  const t0 = ts[start] as number;
  let tMean = 0;
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    const j = (start + i) % WINDOW;
    tMean += ((ts[j] as number) - t0) / MS_PER_MINUTE;
    yMean += y[j] as number;
  }
  tMean /= n;
  yMean /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const j = (start + i) % WINDOW;
    const dt = ((ts[j] as number) - t0) / MS_PER_MINUTE - tMean;
    num += dt * ((y[j] as number) - yMean);
    den += dt * dt;
  }
  // The window holds strictly increasing times, so den > 0 with two samples or more.
  return num / den;
}
