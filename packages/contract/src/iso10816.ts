/**
 * ISO 10816 vibration severity grading of overall velocity RMS (mm/s, 10–1000 Hz).
 *
 * | machine class                                             | A/B  | B/C  | C/D  |
 * |-----------------------------------------------------------|------|------|------|
 * | ISO 10816-1 class I   (small machines, ≤ 15 kW)            | 0.71 | 1.8  | 4.5  |
 * | ISO 10816-1 class II  (medium, 15–75 kW)                   | 1.12 | 2.8  | 7.1  |
 * | ISO 10816-1 class III (large, rigid foundation)            | 1.8  | 4.5  | 11.2 |
 * | ISO 10816-1 class IV  (large, flexible foundation)         | 2.8  | 7.1  | 18.0 |
 * | ISO 10816-3 group 2 (15–300 kW), rigid foundation          | 1.4  | 2.8  | 4.5  |
 * | ISO 10816-3 group 2 (15–300 kW), flexible foundation *     | 2.3  | 4.5  | 7.1  |
 * | ISO 10816-3 group 1 (300 kW–50 MW), rigid foundation       | 2.3  | 4.5  | 7.1  |
 * | ISO 10816-3 group 1 (300 kW–50 MW), flexible foundation    | 3.5  | 7.1  | 11.0 |
 * * the default
 *
 * Zones: A newly commissioned; B unrestricted long-term operation; C restricted, plan maintenance;
 * D severe enough to cause damage.
 */
import type { IsoZone } from './states.ts';

export const ISO_MACHINE_CLASSES = {
  '10816-1-class-I': [0.71, 1.8, 4.5],
  '10816-1-class-II': [1.12, 2.8, 7.1],
  '10816-1-class-III': [1.8, 4.5, 11.2],
  '10816-1-class-IV': [2.8, 7.1, 18.0],
  '10816-3-group2-rigid': [1.4, 2.8, 4.5],
  '10816-3-group2-flexible': [2.3, 4.5, 7.1],
  '10816-3-group1-rigid': [2.3, 4.5, 7.1],
  '10816-3-group1-flexible': [3.5, 7.1, 11.0],
} as const satisfies Record<string, readonly [number, number, number]>;

export type IsoMachineClass = keyof typeof ISO_MACHINE_CLASSES;
export const DEFAULT_ISO_CLASS: IsoMachineClass = '10816-3-group2-flexible';

/** Zone of an overall velocity RMS; a value on a boundary belongs to the worse zone. */
export function isoZone(velocityRms: number, machineClass: IsoMachineClass = DEFAULT_ISO_CLASS): IsoZone {
  const [ab, bc, cd] = ISO_MACHINE_CLASSES[machineClass];
  if (velocityRms >= cd) return 'D';
  if (velocityRms >= bc) return 'C';
  if (velocityRms >= ab) return 'B';
  return 'A';
}
