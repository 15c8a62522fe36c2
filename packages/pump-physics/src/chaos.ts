/**
 * The chaos engine: sensor and environment faults layered on top of the physics, to test that the
 * pipeline is robust. Each kind starts with its own rate (chance per pump-sample while not active);
 * every active event is reported so the ground truth can mark it.
 */

import { type Channel, type ChaosKind, overallVibration } from '@pdm/contract';
import type { Rng } from '@pdm/random';
import type { ChannelReadings } from './pump.ts';

export interface ChaosRates {
  /** short spikes in vibration_x (1–3 samples, +15–40 mm/s) */
  readonly glitch: number;
  /** +15 °C on temperature: ramps in, holds, ramps out */
  readonly heatwave: number;
  /** one sensor repeats its last value (10–60 samples) */
  readonly freeze: number;
  /** the pump's telemetry is lost (3–20 samples); seq shows the gap */
  readonly dropout: number;
  /** one corrupt payload instead of the sample */
  readonly malformed: number;
}

export const DEFAULT_CHAOS_RATES: ChaosRates = {
  glitch: 0.003,
  heatwave: 0.0005,
  freeze: 0.001,
  dropout: 0.001,
  malformed: 0,
};

export const HEATWAVE = { offsetC: 15, rampSamples: 30, holdSamples: 120 } as const;
const HEATWAVE_SAMPLES = 2 * HEATWAVE.rampSamples + HEATWAVE.holdSamples;

/** Sensors that freeze as a unit: the triaxial vibration sensor reports all four vibration channels. */
const SENSORS: readonly (readonly Channel[])[] = [
  ['vibration_x', 'vibration_y', 'vibration_z', 'vibration_rms'],
  ['temperature'],
  ['pressure'],
  ['flow'],
  ['current'],
  ['rpm'],
];

export interface ChaosOutcome {
  /** kinds active on this sample */
  readonly active: ChaosKind[];
  /** send nothing for this sample */
  readonly drop: boolean;
  /** send a corrupt payload instead of the sample */
  readonly malformed: boolean;
}

const NO_CHAOS: ChaosOutcome = Object.freeze({ active: [], drop: false, malformed: false }) as ChaosOutcome;

/** Chaos state of one pump. */
export class PumpChaos {
  #glitchLeft = 0;
  #glitchAddMmS = 0;
  #heatwaveStep = -1;
  #freezeLeft = 0;
  #frozen: Partial<ChannelReadings> = {};
  #dropoutLeft = 0;
  readonly #rng: Rng;
  readonly #rates: ChaosRates;
  /** what the sensors reported last, for a freeze to repeat */
  #last: ChannelReadings | undefined;

  constructor(rng: Rng, rates: ChaosRates) {
    this.#rng = rng;
    this.#rates = rates;
  }

  /** Applies active chaos to `r` in place and says what happened. */
  apply(r: ChannelReadings): ChaosOutcome {
    const rng = this.#rng;
    const rates = this.#rates;
    let active: ChaosKind[] | undefined;
    const mark = (kind: ChaosKind) => {
      active ??= [];
      active.push(kind);
    };

    if (this.#glitchLeft === 0 && rates.glitch > 0 && rng.chance(rates.glitch)) {
      this.#glitchLeft = 1 + rng.int(3);
      this.#glitchAddMmS = rng.uniform(15, 40);
    }
    if (this.#glitchLeft > 0) {
      this.#glitchLeft -= 1;
      r.vibration_x += this.#glitchAddMmS;
      r.vibration_rms = overallVibration(r.vibration_x, r.vibration_y, r.vibration_z);
      mark('vibration_glitch');
    }

    if (this.#heatwaveStep < 0 && rates.heatwave > 0 && rng.chance(rates.heatwave)) this.#heatwaveStep = 0;
    if (this.#heatwaveStep >= 0) {
      r.temperature += HEATWAVE.offsetC * heatwaveProfile(this.#heatwaveStep);
      this.#heatwaveStep = this.#heatwaveStep + 1 < HEATWAVE_SAMPLES ? this.#heatwaveStep + 1 : -1;
      mark('heatwave');
    }

    if (this.#freezeLeft === 0 && rates.freeze > 0 && this.#last && rng.chance(rates.freeze)) {
      this.#freezeLeft = 10 + rng.int(51);
      const last = this.#last;
      this.#frozen = Object.fromEntries(rng.pick(SENSORS).map((c) => [c, last[c]]));
    }
    if (this.#freezeLeft > 0) {
      this.#freezeLeft -= 1;
      Object.assign(r, this.#frozen);
      mark('sensor_freeze');
    }
    this.#last = { ...r };

    if (this.#dropoutLeft === 0 && rates.dropout > 0 && rng.chance(rates.dropout))
      this.#dropoutLeft = 3 + rng.int(18);
    const drop = this.#dropoutLeft > 0;
    if (drop) {
      this.#dropoutLeft -= 1;
      mark('dropout');
    }

    const malformed = !drop && rates.malformed > 0 && rng.chance(rates.malformed);
    if (malformed) mark('malformed');

    return active ? { active, drop, malformed } : NO_CHAOS;
  }
}

/** 0 → 1 over the ramp, 1 while holding, 1 → 0 over the ramp out. */
function heatwaveProfile(step: number): number {
  const { rampSamples, holdSamples } = HEATWAVE;
  if (step < rampSamples) return (step + 1) / rampSamples;
  if (step < rampSamples + holdSamples) return 1;
  return (HEATWAVE_SAMPLES - step) / (rampSamples + 1);
}

/** Corrupt payloads of the kinds a real fleet produces; the receiving side must reject each one. */
export function malformedPayload(rng: Rng, valid: string): string {
  switch (rng.int(6)) {
    case 0:
      return valid.slice(0, Math.max(1, rng.int(valid.length - 1))); // truncated in transit
    case 1:
      return valid.replace(/"temperature":[-0-9.]+/, '"temperature":NaN'); // not JSON at all
    case 2:
      return valid.replace(/"pressure":([-0-9.]+)/, '"pressure":"$1"'); // number as string
    case 3:
      return valid.replace(/,"flow":[-0-9.]+/, ''); // missing field
    case 4:
      return valid.replace(/"current":[-0-9.]+/, '"current":1e999'); // parses to Infinity
    default:
      return '\u0000\u00ff garbage \u0001'; // a misconfigured device
  }
}

/**
 * A corrupt row of a gateway message (`["pump-00001",0,1.404,…]`). A gateway frames its message itself,
 * so the faults are in one pump's values, never in the JSON around them: the other rows must still pass.
 */
export function malformedRow(rng: Rng, valid: string): string {
  const values = valid.slice(1, -1).split(',');
  const at = 2 + rng.int(values.length - 2);
  switch (rng.int(4)) {
    case 0:
      values[at] = `"${values[at]}"`; // number as string
      break;
    case 1:
      values.pop(); // missing field
      break;
    case 2:
      values[at] = '1e999'; // parses to Infinity
      break;
    default:
      values[at] = '-1e9'; // outside every channel's bounds
  }
  return `[${values.join(',')}]`;
}
