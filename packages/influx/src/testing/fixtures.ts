/**
 * Records for tests that write to InfluxDB and read back: telemetry samples, predictions and alerts at
 * wire resolution, whose numbers depend on their time so that rows are told apart, and the lines that
 * store them as acquisition does.
 */
import type { Alert, LabelledSample, Prediction } from '@pdm/contract';
import { encodeAlert, encodePrediction } from '../line-protocol.ts';

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

/** A prediction and an alert as acquisition stores them: line-protocol.ts's own encoders. */
export const predictionLine = encodePrediction;
export const alertLine = encodeAlert;
