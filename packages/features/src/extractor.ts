/**
 * The per-pump streaming feature extractor. Raw samples of each pump go in in time order; a feature
 * vector comes out for each. The same code serves the training export and live inference, so the
 * model sees the same numbers in both.
 */
import type { Telemetry } from '@pdm/telemetry';
import { FEATURE_COUNT, FEATURE_DECIMALS, REFERENCE_RPM, WINDOW } from './features.ts';

const SCALE = 10 ** FEATURE_DECIMALS;
const round = (x: number) => Math.round(x * SCALE) / SCALE;

/** Rolling history of one pump: fixed-size rings, no allocation per sample. */
class PumpWindow {
  lastTs = Number.NEGATIVE_INFINITY;
  count = 0;
  next = 0;
  readonly vibration = new Float64Array(WINDOW);
  readonly temperature = new Float64Array(WINDOW);
  readonly pressure = new Float64Array(WINDOW);
  readonly flow = new Float64Array(WINDOW);
  readonly current = new Float64Array(WINDOW);
  readonly rpm = new Float64Array(WINDOW);
  readonly axialRatio = new Float64Array(WINDOW);

  push(s: Telemetry): void {
    const i = this.next;
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
   * Returns false, writing nothing, for a sample not newer than the pump's last one (a redelivery or a
   * reordered message): features need time order, and a duplicate must not count twice.
   * Until the window is full, the statistics cover the samples seen so far.
   */
  push(sample: Telemetry, out: Float32Array | Float64Array, offset = 0): boolean {
    let w = this.#pumps.get(sample.pump_id);
    if (!w) {
      w = new PumpWindow();
      this.#pumps.set(sample.pump_id, w);
    } else if (sample.ts <= w.lastTs) return false;
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
    out[k++] = round(slope(w.temperature, n, w.next));
    out[k++] = round(pressureMean);
    out[k++] = round(std(w.pressure, n, pressureMean));
    out[k++] = round(flowMean);
    out[k++] = round(currentMean);
    out[k++] = round(median(w.axialRatio, n));
    out[k++] = round(pressureMean / (speed * speed));
    out[k++] = round(flowMean / speed);
    out[k++] = round(currentMean / (speed * speed * speed));
    if (k - offset !== FEATURE_COUNT) throw new Error('feature extractor and FEATURES disagree');
    return true;
  }

  /** Forgets a pump's history, e.g. when its stream restarts. */
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

/** Least-squares slope per sample over the ring, oldest to newest. */
function slope(a: Float64Array, n: number, next: number): number {
  if (n < 2) return 0;
  const start = n < WINDOW ? 0 : next;
  const xMean = (n - 1) / 2;
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += a[(start + i) % WINDOW] as number;
  yMean /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = i - xMean;
    num += dx * ((a[(start + i) % WINDOW] as number) - yMean);
    den += dx * dx;
  }
  return num / den;
}
