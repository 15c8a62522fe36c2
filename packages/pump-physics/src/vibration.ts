/** Overall vibration as wear grows, calibrated so that the ground-truth states grade as ISO 10816 zones. */
import { overallVibration } from '@pdm/contract';

/**
 * Wear-induced velocity RMS (mm/s) added to a pump's healthy level, at wear w = 1 − health.
 * With a typical healthy level of 1.3 mm/s the anchors land on the default class's zone boundaries
 * (10816-3 group 2, flexible: 2.3 / 4.5 / 7.1) at the state boundaries (health 65 / 40 / 15 %),
 * with a margin above C/D so that a BROKEN pump reads zone D.
 */
const WEAR_ANCHORS: ReadonlyArray<readonly [wear: number, addedMmS: number]> = [
  [0, 0],
  [0.35, 1.0],
  [0.6, 3.2],
  [0.85, 6.2],
  [1, 9.1],
];

export function wearVibration(wear: number): number {
  let [w0, v0] = WEAR_ANCHORS[0] as readonly [number, number];
  if (wear <= w0) return v0;
  for (let i = 1; i < WEAR_ANCHORS.length; i++) {
    const [w1, v1] = WEAR_ANCHORS[i] as readonly [number, number];
    if (wear <= w1) return v0 + ((wear - w0) / (w1 - w0)) * (v1 - v0);
    w0 = w1;
    v0 = v1;
  }
  return v0;
}

/** How a healthy pump's vibration splits over x, y, z: mostly radial, some axial. */
export const HEALTHY_AXIS_WEIGHTS: readonly [number, number, number] = [1.0, 0.85, 0.6];

/** Axis weights scaled so that their overall RMS is 1. */
export function unitAxisWeights(
  weights: readonly [number, number, number],
): readonly [number, number, number] {
  const norm = overallVibration(...weights);
  return [weights[0] / norm, weights[1] / norm, weights[2] / norm];
}

const HEALTHY_UNIT = unitAxisWeights(HEALTHY_AXIS_WEIGHTS);

/**
 * Per-axis factors whose overall RMS is 1, blending the healthy split and the failure mode's split
 * (given as unit weights) in proportion to how much of the vibration each part contributes.
 */
export function axisFactors(
  healthyPart: number,
  wearPart: number,
  modeUnitWeights: readonly [number, number, number],
  out: [number, number, number],
): [number, number, number] {
  const x = healthyPart * HEALTHY_UNIT[0] + wearPart * modeUnitWeights[0];
  const y = healthyPart * HEALTHY_UNIT[1] + wearPart * modeUnitWeights[1];
  const z = healthyPart * HEALTHY_UNIT[2] + wearPart * modeUnitWeights[2];
  const norm = overallVibration(x, y, z);
  out[0] = x / norm;
  out[1] = y / norm;
  out[2] = z / norm;
  return out;
}
