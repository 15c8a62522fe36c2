/**
 * The feature list: names, units and order. The model's input is this vector, in this order; the
 * trainer writes it into the model's metadata and inference refuses a model whose list differs.
 */
import type { Channel } from '@pdm/contract';

export interface FeatureInfo {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
}

/**
 * Samples in the rolling window: 10 s of a production pump at 1 Hz, 100 min of a training run at the
 * training simulator's default 600 s. Counted in samples, so the statistics over it (mean, median, max,
 * standard deviation) cover another span of device time at another interval; the README's "Features" says
 * what depends on the clock.
 */
export const WINDOW = 10;

/**
 * Decimals every feature is rounded to, on the training side and the serving side alike, so that the
 * CSV the trainer reads holds exactly the numbers inference computes.
 */
export const FEATURE_DECIMALS = 4;

/** Nominal shaft speed the speed-normalised features refer to. */
export const REFERENCE_RPM = 3000;

const raw = (name: Channel, unit: string, description: string): FeatureInfo => ({ name, unit, description });

export const FEATURES: readonly FeatureInfo[] = [
  raw('vibration_x', 'mm/s', 'velocity RMS, radial horizontal'),
  raw('vibration_y', 'mm/s', 'velocity RMS, radial vertical'),
  raw('vibration_z', 'mm/s', 'velocity RMS, axial'),
  raw('vibration_rms', 'mm/s', 'overall velocity RMS'),
  raw('temperature', '°C', 'bearing temperature'),
  raw('pressure', 'bar', 'discharge pressure'),
  raw('flow', 'm³/h', 'flow'),
  raw('current', 'A', 'motor current'),
  raw('rpm', '1/min', 'shaft speed'),
  {
    name: 'vibration_rms_mean',
    unit: 'mm/s',
    description: `mean of vibration_rms over the last ${WINDOW} samples`,
  },
  {
    name: 'vibration_rms_median',
    unit: 'mm/s',
    description: `median of vibration_rms over the window: a short glitch cannot move it`,
  },
  { name: 'vibration_rms_max', unit: 'mm/s', description: 'largest vibration_rms in the window' },
  {
    name: 'vibration_rms_std',
    unit: 'mm/s',
    description: 'standard deviation of vibration_rms in the window',
  },
  { name: 'temperature_mean', unit: '°C', description: 'mean bearing temperature over the window' },
  {
    // Per minute of device time, from the samples' timestamps: the same trend reads the same at any
    // sample interval, and a gap (a dropout) stretches the time axis instead of squeezing the trend.
    name: 'temperature_slope_per_min',
    unit: '°C/min',
    description: 'least-squares temperature trend over the window, per minute of device time',
  },
  { name: 'pressure_mean', unit: 'bar', description: 'mean discharge pressure over the window' },
  { name: 'pressure_std', unit: 'bar', description: 'pressure unsteadiness over the window (cavitation)' },
  { name: 'flow_mean', unit: 'm³/h', description: 'mean flow over the window' },
  { name: 'current_mean', unit: 'A', description: 'mean motor current over the window' },
  {
    name: 'axial_ratio_median',
    unit: '1',
    description: 'median of vibration_z / vibration_x over the window (misalignment)',
  },
  {
    name: 'head_per_speed2',
    unit: 'bar',
    description: `window-mean pressure / (rpm / ${REFERENCE_RPM})²: head with the affinity law's speed effect removed`,
  },
  {
    name: 'flow_per_speed',
    unit: 'm³/h',
    description: `window-mean flow / (rpm / ${REFERENCE_RPM}): flow with the speed effect removed`,
  },
  {
    name: 'current_per_speed3',
    unit: 'A',
    description: `window-mean current / (rpm / ${REFERENCE_RPM})³: motor load with the speed effect removed`,
  },
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
export const FEATURE_COUNT = FEATURES.length;

/**
 * Columns of a training set, as `pnpm export-training-data` writes it and `pnpm train` reads it by
 * default: the sample's identity, the features in model order, then the ground truth.
 */
export const TRAINING_SET_COLUMNS: readonly string[] = [
  'ts',
  'pump_id',
  'seq',
  ...FEATURE_NAMES,
  'state',
  'health_pct',
  'rul_h',
  'failure_mode',
];
