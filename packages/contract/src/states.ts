/** The ground-truth vocabulary shared by simulators, stores, trainer and inference. */

/** Pump condition classes, in order of increasing severity. */
export const PUMP_STATES = ['HEALTHY', 'WARNING', 'FAULTY', 'BROKEN'] as const;
export type PumpState = (typeof PUMP_STATES)[number];

/** States that raise an alert when a pump enters them, as a tuple (for schemas) and as a list of states. */
export const ALARM_STATE_NAMES = ['FAULTY', 'BROKEN'] as const;
export type AlarmState = (typeof ALARM_STATE_NAMES)[number];
export const ALARM_STATES: readonly PumpState[] = ALARM_STATE_NAMES;

/** How a lifecycle ends. Each mode leaves its own signature on the channels (see @pdm/pump-physics). */
export const FAILURE_MODES = ['BEARING_WEAR', 'IMPELLER_WEAR', 'CAVITATION', 'MISALIGNMENT'] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

/** ISO 10816 vibration severity zones: A new, B unrestricted, C restricted, D damage occurs. */
export const ISO_ZONES = ['A', 'B', 'C', 'D'] as const;
export type IsoZone = (typeof ISO_ZONES)[number];

/** Chaos events the production simulator can inject; each is marked in the ground truth while active. */
export const CHAOS_KINDS = ['vibration_glitch', 'heatwave', 'sensor_freeze', 'dropout', 'malformed'] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];

/**
 * The name a class probability is stored under, as an SQLite column and an InfluxDB field: p_healthy,
 * p_warning, … One name per state, so both stores and their readers agree.
 */
export const PROBABILITY_FIELDS = Object.freeze(
  Object.fromEntries(PUMP_STATES.map((s) => [s, `p_${s.toLowerCase()}`])),
) as Readonly<{ [S in PumpState]: `p_${Lowercase<S>}` }>;
