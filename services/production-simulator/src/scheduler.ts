/**
 * One scheduler for the whole fleet. Pump i's sample n is due at start + n·interval + i·interval/N:
 * the fleet's samples are spread evenly over each interval, and due times are computed, never
 * accumulated, so the schedule does not drift however late a sample goes out.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';

export interface FleetSchedule {
  readonly pumps: number;
  readonly intervalMs: number;
  /** epoch ms of round 0, pump 0 */
  readonly startMs: number;
  /** rounds to run; Infinity runs until stopped */
  readonly rounds: number;
}

/** Called for each due sample; return a promise to hold the schedule back (broker backpressure). */
export type OnDue = (pump: number, round: number, dueMs: number) => Promise<void> | undefined;

/** Epoch milliseconds with sub-millisecond resolution. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** Samples handled between two yields to the event loop, so acknowledgements keep flowing. */
const BURST = 256;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: epochNow,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.floor(ms)))),
};

export class FleetScheduler {
  #stopped = false;
  readonly #schedule: FleetSchedule;
  readonly #clock: Clock;

  constructor(schedule: FleetSchedule, clock: Clock = realClock) {
    this.#schedule = schedule;
    this.#clock = clock;
  }

  dueMs(pump: number, round: number): number {
    const { startMs, intervalMs, pumps } = this.#schedule;
    return startMs + round * intervalMs + (pump * intervalMs) / pumps;
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Runs until the last round is done or stop() is called. */
  async run(onDue: OnDue): Promise<void> {
    const { pumps, rounds } = this.#schedule;
    let pump = 0;
    let round = 0;
    let burst = 0;
    while (!this.#stopped && round < rounds) {
      const due = this.dueMs(pump, round);
      const wait = due - this.#clock.now();
      if (wait > 0) {
        await this.#clock.sleep(wait);
        burst = 0;
        continue;
      }
      const hold = onDue(pump, round, due);
      if (hold) await hold;
      pump += 1;
      if (pump === pumps) {
        pump = 0;
        round += 1;
      }
      burst += 1;
      if (burst >= BURST) {
        burst = 0;
        await yieldToIo();
      }
    }
  }
}
