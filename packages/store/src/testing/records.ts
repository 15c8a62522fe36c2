/** Valid predictions, alerts and samples for tests that fill a store: each passes the contract's schema. */
import type { Alert, LabelledSample, Prediction } from '@pdm/contract';

export const T0 = Date.parse('2026-03-01T00:00:00Z');
export const MODEL = '2026-02-28T12:00:00.000Z#3f1c0d2e';
/** A RUL model's version, as inference's second model would name it. */
export const RUL_MODEL = '2026-02-28T13:00:00.000Z#0c1d2e3f';

export function prediction(pumpId: string, ts: number, overrides: Partial<Prediction> = {}): Prediction {
  return {
    pump_id: pumpId,
    ts,
    seq: Math.round((ts - T0) / 1000),
    state: 'HEALTHY',
    raw_state: 'WARNING',
    probabilities: { HEALTHY: 0.5321, WARNING: 0.4679, FAULTY: 0, BROKEN: 0 },
    vibration_rms: 2.417,
    iso_zone: 'B',
    model_version: MODEL,
    latency_ms: 3.41,
    ...overrides,
  };
}

export function alert(pumpId: string, ts: number, overrides: Partial<Alert> = {}): Alert {
  return {
    pump_id: pumpId,
    ts,
    seq: Math.round((ts - T0) / 1000),
    kind: 'alarm',
    state: 'FAULTY',
    previous_state: 'WARNING',
    model_version: MODEL,
    evidence: {
      raw_states: ['WARNING', 'FAULTY', 'FAULTY', 'WARNING', 'FAULTY'],
      probabilities: { FAULTY: 0.62, WARNING: 0.35, BROKEN: 0.02, HEALTHY: 0.01 },
      vibration_rms: 5.93,
      iso_zone: 'C',
      temperature: 71.2,
    },
    ...overrides,
  };
}

/** The recovery that closes an alarm: back to HEALTHY from FAULTY. */
export function recovery(pumpId: string, ts: number, overrides: Partial<Alert> = {}): Alert {
  return alert(pumpId, ts, { kind: 'recovered', state: 'HEALTHY', previous_state: 'FAULTY', ...overrides });
}

/** A prediction made while a RUL model serves: with rul_h and the RUL model's version. */
export function rulPrediction(pumpId: string, ts: number, rulH: number, overrides: Partial<Prediction> = {}) {
  return prediction(pumpId, ts, { rul_h: rulH, rul_model_version: RUL_MODEL, ...overrides });
}

/** "Plan the repair now": the pump's smoothed RUL fell below ALERT_RUL_H; its state is unchanged. */
export function rulLow(pumpId: string, ts: number, rulH: number, overrides: Partial<Alert> = {}): Alert {
  const base = alert(pumpId, ts);
  return {
    ...base,
    kind: 'rul_low',
    state: 'WARNING',
    previous_state: 'WARNING',
    evidence: { ...base.evidence, rul_h: rulH },
    ...overrides,
  };
}

/** Raw production telemetry (no ground truth), with values that vary by time. */
export function telemetry(pumpId: string, ts: number): LabelledSample {
  const t = (ts - T0) / 1000;
  return {
    pump_id: pumpId,
    ts,
    seq: Math.round(t),
    vibration_x: 1 + (t % 7) / 100,
    vibration_y: 1.2,
    vibration_z: 0.8,
    vibration_rms: 1.017,
    temperature: 50 + (t % 11) / 10,
    pressure: 6.3,
    flow: 117,
    current: 56.4,
    rpm: 2957.7,
  };
}
