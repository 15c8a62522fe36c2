/** The digital twin of one centrifugal pump: its build, its current lifecycle, and a reading per sample. */

import type { Channel, FailureMode, PumpState } from '@pdm/contract';
import { overallVibration } from '@pdm/contract';
import { Rng } from '@pdm/random';
import { FAILURE_SIGNATURES } from './failure-modes.ts';
import { drawLifecycle, healthAt, type Lifecycle, type LifetimeModel, stateOf } from './lifecycle.ts';
import { axisFactors, unitAxisWeights, wearVibration } from './vibration.ts';

/** One pump's build, drawn once: the manufacturing and installation spread across a fleet. */
export interface PumpSpec {
  /** healthy overall vibration at nominal speed, mm/s */
  readonly baseVibration: number;
  readonly ambientC: number;
  /** bearing temperature rise over ambient at full load, healthy, °C */
  readonly thermalRiseC: number;
  readonly suctionBar: number;
  /** developed pressure at nominal speed and best-efficiency flow, bar */
  readonly headBar: number;
  /** flow at nominal speed, m³/h */
  readonly nominalFlow: number;
  /** magnetising current with no hydraulic load, A */
  readonly noLoadCurrent: number;
  /** current added by full hydraulic load at nominal speed, A */
  readonly loadCurrent: number;
  readonly nominalRpm: number;
  /** on a variable-frequency drive the operating speed moves between 80 and 100 % */
  readonly variableSpeed: boolean;
}

export type ChannelReadings = Record<Channel, number>;

/** One sample: what the sensors read, and the truth behind it. */
export interface Reading extends ChannelReadings {
  healthPct: number;
  state: PumpState;
  rulH: number;
  failureMode: FailureMode;
}

export interface PumpTwinOptions {
  readonly seed: number;
  readonly index: number;
  readonly lifetime: LifetimeModel;
}

const MIN_SPEED = 0.8;
const MODE_UNIT_AXES = Object.fromEntries(
  Object.entries(FAILURE_SIGNATURES).map(([mode, sig]) => [mode, unitAxisWeights(sig.axisWeights)]),
) as Record<FailureMode, readonly [number, number, number]>;
/** chance per sample that a variable-speed pump gets a new speed setpoint */
const SETPOINT_CHANGE_CHANCE = 1 / 600;

// Independent random streams per pump, so that e.g. a change to the noise model leaves lifetimes alone.
const STREAM_BUILD = 0;
const STREAM_LIFE = 1;
const STREAM_NOISE = 2;

export class PumpTwin {
  readonly spec: PumpSpec;
  #lifecycle: Lifecycle;
  #ageH = 0;
  #speed = 1;
  readonly #lifeRng: Rng;
  readonly #noise: Rng;
  readonly #lifetime: LifetimeModel;

  constructor({ seed, index, lifetime }: PumpTwinOptions) {
    this.spec = drawSpec(new Rng(seed, index, STREAM_BUILD));
    this.#lifeRng = new Rng(seed, index, STREAM_LIFE);
    this.#noise = new Rng(seed, index, STREAM_NOISE);
    this.#lifetime = lifetime;
    this.#lifecycle = drawLifecycle(this.#lifeRng, lifetime, 0);
  }

  get lifecycle(): Lifecycle {
    return this.#lifecycle;
  }

  /** hours of operation in the current lifecycle */
  get ageH(): number {
    return this.#ageH;
  }

  /** Starts a new lifecycle, as after a repair. */
  renew(): void {
    this.#lifecycle = drawLifecycle(this.#lifeRng, this.#lifetime, this.#lifecycle.index + 1);
    this.#ageH = 0;
  }

  /** Reads every channel at the current age, then ages the pump by dtH hours. */
  sample(dtH: number): Reading {
    const reading = this.read();
    this.#ageH += dtH;
    return reading;
  }

  read(): Reading {
    const rng = this.#noise;
    const lifecycle = this.#lifecycle;
    const health = healthAt(lifecycle, this.#ageH);
    if (this.spec.variableSpeed && rng.chance(SETPOINT_CHANGE_CHANCE))
      this.#speed = rng.uniform(MIN_SPEED, 1);
    // The truth is added to the channel object rather than spread into a new one: this runs per sample.
    const reading = channelReadings(this.spec, this.#speed, 1 - health, lifecycle.mode, rng) as Reading;
    reading.healthPct = health * 100;
    reading.state = stateOf(reading.healthPct);
    reading.rulH = Math.max(0, lifecycle.ttfH - this.#ageH);
    reading.failureMode = lifecycle.mode;
    return reading;
  }
}

/** Draws standard normal noise; NO_NOISE gives the underlying physics exactly. */
export interface NormalSource {
  normal(): number;
}

export const NO_NOISE: NormalSource = { normal: () => 0 };

const scratchAxes: [number, number, number] = [0, 0, 0];

/**
 * Every channel of a pump running at `speed` (fraction of nominal) with `wear` (1 − health) from
 * failure mode `mode`, with measurement noise from `noise`.
 */
export function channelReadings(
  spec: PumpSpec,
  speed: number,
  wear: number,
  mode: FailureMode,
  noise: NormalSource,
): ChannelReadings {
  const sig = FAILURE_SIGNATURES[mode];
  const s = speed;

  // Vibration: the healthy part scales with speed; defect vibration does not, so grading holds at part load.
  const healthyPart = spec.baseVibration * s;
  const wearPart = wearVibration(wear);
  const overall = (healthyPart + wearPart) * (1 + sig.vibrationJitter * noise.normal());
  const [ax, ay, az] = axisFactors(healthyPart, wearPart, MODE_UNIT_AXES[mode], scratchAxes);
  const vx = positive(overall * ax * (1 + 0.02 * noise.normal()));
  const vy = positive(overall * ay * (1 + 0.02 * noise.normal()));
  const vz = positive(overall * az * (1 + 0.02 * noise.normal()));

  // Affinity laws: flow ∝ n, head ∝ n², power ∝ n³; the motor current follows power.
  const jitter = sig.hydraulicJitter * wear;
  const temperature =
    spec.ambientC +
    spec.thermalRiseC * (0.55 + 0.45 * s * s) +
    sig.temperatureRiseC * wear ** 1.5 +
    0.3 * noise.normal();
  const pressure =
    spec.suctionBar +
    spec.headBar * s * s * (1 - sig.headLoss * wear) * (1 + jitter * noise.normal()) +
    0.02 * noise.normal();
  const flow =
    spec.nominalFlow * s * (1 - sig.flowLoss * wear) * (1 + jitter * noise.normal() + 0.005 * noise.normal());
  const current =
    spec.noLoadCurrent + spec.loadCurrent * s * s * s * (1 + sig.loadChange * wear) + 0.25 * noise.normal();
  const rpm = spec.nominalRpm * s + 2 * noise.normal();

  return {
    vibration_x: vx,
    vibration_y: vy,
    vibration_z: vz,
    vibration_rms: overallVibration(vx, vy, vz),
    temperature,
    pressure: positive(pressure),
    flow: positive(flow),
    current: positive(current),
    rpm: positive(rpm),
  };
}

function positive(x: number): number {
  return Math.max(x, 0);
}

function drawSpec(rng: Rng): PumpSpec {
  const spread = (mean: number, sd: number, min: number, max: number) =>
    Math.min(max, Math.max(min, rng.gaussian(mean, sd)));
  return {
    baseVibration: spread(1.3, 0.2, 0.8, 1.9),
    ambientC: spread(25, 3, 15, 35),
    thermalRiseC: spread(30, 2, 24, 36),
    suctionBar: spread(1.5, 0.15, 1, 2),
    headBar: spread(5, 0.25, 4.2, 5.8),
    nominalFlow: spread(120, 6, 100, 140),
    noLoadCurrent: spread(14, 0.7, 12, 16),
    loadCurrent: spread(44, 2, 38, 50),
    nominalRpm: spread(2960, 8, 2935, 2985),
    variableSpeed: rng.chance(0.5),
  };
}
