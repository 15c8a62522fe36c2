/**
 * The signature each failure mode leaves on the channels as wear w = 1 − health grows from 0 to 1.
 * Overall vibration follows one calibrated curve for every mode (see vibration.ts); the modes differ
 * in where that vibration shows (axis split), in heat, hydraulics and motor load.
 */
import type { FailureMode } from '@pdm/contract';

export interface FailureSignature {
  /** how the wear-induced vibration splits over the x (radial horizontal), y (radial vertical), z (axial) axes */
  readonly axisWeights: readonly [x: number, y: number, z: number];
  /** bearing temperature rise at w = 1, °C; grows as w^1.5 */
  readonly temperatureRiseC: number;
  /** fractional loss of developed head (pressure above suction) at w = 1 */
  readonly headLoss: number;
  /** fractional loss of flow at w = 1 */
  readonly flowLoss: number;
  /** fractional change of motor load (current above no-load) at w = 1: friction raises it, lost flow lowers it */
  readonly loadChange: number;
  /** sample-to-sample unsteadiness at w = 1 (relative sd of pressure and flow) */
  readonly hydraulicJitter: number;
  /** relative sd of overall vibration from sample to sample */
  readonly vibrationJitter: number;
}

export const FAILURE_SIGNATURES: Readonly<Record<FailureMode, FailureSignature>> = {
  // Rolling-element defects: radial vibration and a hot bearing; friction loads the motor a little.
  BEARING_WEAR: {
    axisWeights: [1.0, 1.0, 0.45],
    temperatureRiseC: 45,
    headLoss: 0.02,
    flowLoss: 0.01,
    loadChange: 0.08,
    hydraulicJitter: 0.005,
    vibrationJitter: 0.04,
  },
  // Eroded vanes: less head and flow, so less hydraulic power; imbalance shows radially, mostly x.
  IMPELLER_WEAR: {
    axisWeights: [1.3, 0.8, 0.4],
    temperatureRiseC: 6,
    headLoss: 0.3,
    flowLoss: 0.25,
    loadChange: -0.15,
    hydraulicJitter: 0.01,
    vibrationJitter: 0.04,
  },
  // Vapour bubbles collapsing: broadband vibration on every axis, unsteady pressure and flow.
  CAVITATION: {
    axisWeights: [1.0, 1.0, 1.0],
    temperatureRiseC: 8,
    headLoss: 0.15,
    flowLoss: 0.12,
    loadChange: -0.08,
    hydraulicJitter: 0.06,
    vibrationJitter: 0.07,
  },
  // Shaft misalignment: strong axial vibration, coupling and bearing heat, extra motor load.
  MISALIGNMENT: {
    axisWeights: [0.6, 0.6, 1.5],
    temperatureRiseC: 25,
    headLoss: 0.02,
    flowLoss: 0.01,
    loadChange: 0.12,
    hydraulicJitter: 0.005,
    vibrationJitter: 0.04,
  },
};
