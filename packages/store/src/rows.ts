/**
 * Predictions and alerts as stored rows and back: states and zones as indexes into the contract's lists,
 * probabilities as one column per class, evidence as compact JSON. Reads return the contract's own types.
 */
import {
  type Alert,
  ISO_ZONES,
  type IsoZone,
  PROBABILITY_FIELDS,
  type Prediction,
  PUMP_STATES,
  type PumpState,
} from '@pdm/contract';

const STATE_INDEX = new Map<string, number>(PUMP_STATES.map((s, i) => [s, i]));
const ZONE_INDEX = new Map<string, number>(ISO_ZONES.map((z, i) => [z, i]));

/** A state's index in PUMP_STATES: the validated messages only carry known states. */
export function stateIndex(state: PumpState): number {
  return STATE_INDEX.get(state) as number;
}

export function zoneIndex(zone: IsoZone): number {
  return ZONE_INDEX.get(zone) as number;
}

/** The probability columns, in PUMP_STATES order. */
export const PROBABILITY_COLUMNS = PUMP_STATES.map((s) => PROBABILITY_FIELDS[s]);

/** Columns of an inserted prediction, in the order predictionParams() gives their values. */
export const PREDICTION_INSERT_COLUMNS = [
  'pump_id',
  'ts',
  'seq',
  'state',
  'raw_state',
  ...PROBABILITY_COLUMNS,
  'vibration_rms',
  'iso_zone',
  'model_version_id',
  'latency_ms',
  'received_at',
  'outbox_line',
  'rul_h',
  'rul_model_version_id',
] as const;

/** `rulModelVersionId` is the id of p.rul_model_version, null when the prediction has no RUL. */
export function predictionParams(
  p: Prediction,
  modelVersionId: number,
  rulModelVersionId: number | null,
  now: number,
  line: string | null,
): (string | number | null)[] {
  const probabilities = p.probabilities;
  const params: (string | number | null)[] = [
    p.pump_id,
    p.ts,
    p.seq,
    stateIndex(p.state),
    stateIndex(p.raw_state),
  ];
  for (const state of PUMP_STATES) params.push(probabilities[state] ?? null);
  params.push(p.vibration_rms, zoneIndex(p.iso_zone), modelVersionId, p.latency_ms, now, line);
  params.push(p.rul_h ?? null, rulModelVersionId);
  return params;
}

const PREDICTION_BASE_SELECT = [
  'p.pump_id',
  'p.ts',
  'p.seq',
  'p.state',
  'p.raw_state',
  ...PROBABILITY_COLUMNS.map((c) => `p.${c}`),
  'p.vibration_rms',
  'p.iso_zone',
  'm.version',
  'p.latency_ms',
];

/** What a prediction read selects (FROM PREDICTIONS_WITH_VERSIONS), for decodePrediction. */
export const PREDICTION_SELECT = [...PREDICTION_BASE_SELECT, 'p.rul_h', 'r.version'].join(', ');
/** Joins a prediction `p` to its state model's version `m` and its RUL model's version `r`. */
export const PREDICTION_VERSION_JOINS =
  'JOIN model_versions m ON m.id = p.model_version_id LEFT JOIN model_versions r ON r.id = p.rul_model_version_id';
export const PREDICTIONS_WITH_VERSIONS = `predictions p ${PREDICTION_VERSION_JOINS}`;

/** PREDICTION_SELECT on a version-2 file, which has no RUL columns: a reader there reads none. */
export const PREDICTION_SELECT_V2 = [...PREDICTION_BASE_SELECT, 'NULL', 'NULL'].join(', ');
export const PREDICTION_VERSION_JOINS_V2 = 'JOIN model_versions m ON m.id = p.model_version_id';

const FIRST_PROBABILITY = 5;

export function decodePrediction(r: readonly unknown[]): Prediction {
  const probabilities: Partial<Record<PumpState, number>> = {};
  for (let i = 0; i < PUMP_STATES.length; i++) {
    const value = r[FIRST_PROBABILITY + i];
    if (value !== null) probabilities[PUMP_STATES[i] as PumpState] = value as number;
  }
  const after = FIRST_PROBABILITY + PUMP_STATES.length;
  const rul = r[after + 4];
  const rulVersion = r[after + 5];
  const prediction: Prediction = {
    pump_id: r[0] as string,
    ts: r[1] as number,
    seq: r[2] as number,
    state: PUMP_STATES[r[3] as number] as PumpState,
    raw_state: PUMP_STATES[r[4] as number] as PumpState,
    probabilities,
    vibration_rms: r[after] as number,
    iso_zone: ISO_ZONES[r[after + 1] as number] as IsoZone,
    model_version: r[after + 2] as string,
    latency_ms: r[after + 3] as number,
  };
  // Present only where a RUL model served, as in the message that came in.
  if (rul !== null) prediction.rul_h = rul as number;
  if (rulVersion !== null) prediction.rul_model_version = rulVersion as string;
  return prediction;
}

export const ALERT_INSERT_COLUMNS = [
  'pump_id',
  'ts',
  'seq',
  'kind',
  'state',
  'previous_state',
  'model_version_id',
  'evidence',
  'received_at',
  'outbox_line',
] as const;

export function alertParams(
  a: Alert,
  modelVersionId: number,
  now: number,
  line: string | null,
): (string | number | null)[] {
  return [
    a.pump_id,
    a.ts,
    a.seq,
    a.kind,
    stateIndex(a.state),
    stateIndex(a.previous_state),
    modelVersionId,
    JSON.stringify(a.evidence),
    now,
    line,
  ];
}

/** What an alert read selects (from `alerts a JOIN model_versions m`), for decodeAlert. */
export const ALERT_SELECT =
  'a.pump_id, a.ts, a.seq, a.kind, a.state, a.previous_state, m.version, a.evidence';

export function decodeAlert(r: readonly unknown[]): Alert {
  return {
    pump_id: r[0] as string,
    ts: r[1] as number,
    seq: r[2] as number,
    kind: r[3] as Alert['kind'],
    state: PUMP_STATES[r[4] as number] as PumpState,
    previous_state: PUMP_STATES[r[5] as number] as PumpState,
    model_version: r[6] as string,
    evidence: JSON.parse(r[7] as string) as Alert['evidence'],
  };
}
