/** The measured channels of a pump, their units and meaning: the one place these are defined. */

export const CHANNELS = [
  'vibration_x',
  'vibration_y',
  'vibration_z',
  'vibration_rms',
  'temperature',
  'pressure',
  'flow',
  'current',
  'rpm',
] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ChannelInfo {
  readonly unit: string;
  readonly description: string;
  /** decimals sent on the wire: finer than the sensor's accuracy, coarser than float noise */
  readonly decimals: number;
}

export const CHANNEL_INFO: Readonly<Record<Channel, ChannelInfo>> = {
  vibration_x: { unit: 'mm/s', description: 'velocity RMS, radial horizontal axis', decimals: 3 },
  vibration_y: { unit: 'mm/s', description: 'velocity RMS, radial vertical axis', decimals: 3 },
  vibration_z: { unit: 'mm/s', description: 'velocity RMS, axial', decimals: 3 },
  vibration_rms: {
    unit: 'mm/s',
    description: 'overall velocity RMS, sqrt((x² + y² + z²) / 3); graded by ISO 10816',
    decimals: 3,
  },
  temperature: { unit: '°C', description: 'drive-end bearing temperature', decimals: 2 },
  pressure: { unit: 'bar', description: 'discharge pressure (gauge)', decimals: 3 },
  flow: { unit: 'm³/h', description: 'volumetric flow', decimals: 2 },
  current: { unit: 'A', description: 'motor phase current', decimals: 2 },
  rpm: { unit: '1/min', description: 'shaft speed', decimals: 1 },
};

/** Overall vibration from the three axes, as the sensor computes it. */
export function overallVibration(x: number, y: number, z: number): number {
  return Math.sqrt((x * x + y * y + z * z) / 3);
}
