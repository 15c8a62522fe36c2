/**
 * Records for tests that write to InfluxDB and read back: telemetry samples, predictions and alerts at
 * wire resolution, whose numbers depend on their time so that rows are told apart, and the lines that
 * store them as acquisition does.
 */
import {
  type Alert,
  type LabelledSample,
  PROBABILITY_FIELDS,
  type Prediction,
  PUMP_STATES,
} from '@pdm/contract';
import { ALERT_KIND_TAG, ALERT_MEASUREMENT, PREDICTION_MEASUREMENT } from '../dashboard-queries.ts';
import { escapeTagValue, num, stringField, TAG } from '../line-protocol.ts';

export function sample(pumpId: string, ts: number, extra: Partial<LabelledSample> = {}): LabelledSample {
  const k = (ts / 1000) % 1000;
  return {
    pump_id: pumpId,
    ts,
    seq: Math.floor(ts / 1000),
    vibration_x: 1.5 + k / 1000,
    vibration_y: 2.25,
    vibration_z: 0.125,
    vibration_rms: 1.812,
    temperature: 55.12,
    pressure: 6.1,
    flow: 120 + k,
    current: 41.23,
    rpm: 2950.1,
    ...extra,
  };
}

export function prediction(pumpId: string, ts: number, extra: Partial<Prediction> = {}): Prediction {
  const k = (ts / 1000) % 100;
  return {
    pump_id: pumpId,
    ts,
    seq: Math.floor(ts / 1000),
    state: 'WARNING',
    raw_state: 'FAULTY',
    probabilities: { HEALTHY: 0.125, WARNING: 0.5, FAULTY: 0.25, BROKEN: 0.125 },
    vibration_rms: 4.5 + k / 100,
    iso_zone: 'C',
    model_version: 'rf-2026-01-01',
    latency_ms: 1.25 + k,
    ...extra,
  };
}

export function alert(pumpId: string, ts: number, extra: Partial<Alert> = {}): Alert {
  return {
    pump_id: pumpId,
    ts,
    seq: Math.floor(ts / 1000),
    kind: 'alarm',
    state: 'FAULTY',
    previous_state: 'WARNING',
    model_version: 'rf-2026-01-01',
    evidence: {
      raw_states: ['WARNING', 'FAULTY', 'FAULTY'],
      probabilities: { HEALTHY: 0.05, WARNING: 0.15, FAULTY: 0.7, BROKEN: 0.1 },
      vibration_rms: 7.25,
      iso_zone: 'C',
      temperature: 71.5,
    },
    ...extra,
  };
}

/**
 * A prediction as acquisition stores it: measurement pump_prediction, tag pump_id, a field per value and
 * per class probability the model knows. Stands in until line-protocol.ts encodes predictions itself.
 */
export function predictionLine(p: Prediction): string {
  const probabilities = PUMP_STATES.flatMap((s) => {
    const value = p.probabilities[s];
    return value === undefined ? [] : [`${PROBABILITY_FIELDS[s]}=${num(value)}`];
  });
  const fields = [
    `state=${stringField(p.state)}`,
    `raw_state=${stringField(p.raw_state)}`,
    ...probabilities,
    `vibration_rms=${num(p.vibration_rms)}`,
    `iso_zone=${stringField(p.iso_zone)}`,
    `model_version=${stringField(p.model_version)}`,
    `latency_ms=${num(p.latency_ms)}`,
    `seq=${p.seq}i`,
  ];
  return `${PREDICTION_MEASUREMENT},${TAG}=${escapeTagValue(p.pump_id)} ${fields.join(',')} ${p.ts}`;
}

/** An alert as acquisition stores it: tags kind and pump_id, the evidence as a JSON string field. */
export function alertLine(a: Alert): string {
  const fields = [
    `state=${stringField(a.state)}`,
    `previous_state=${stringField(a.previous_state)}`,
    `model_version=${stringField(a.model_version)}`,
    `evidence=${stringField(JSON.stringify(a.evidence))}`,
    `seq=${a.seq}i`,
  ];
  const tags = `${ALERT_KIND_TAG}=${escapeTagValue(a.kind)},${TAG}=${escapeTagValue(a.pump_id)}`;
  return `${ALERT_MEASUREMENT},${tags} ${fields.join(',')} ${a.ts}`;
}
