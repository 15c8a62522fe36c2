/** The bus's messages (snake_case, @pdm/contract) in the API's shapes (camelCase, api/contract.ts). */
import { type Alert, CHANNELS, type Channel, type Prediction, type Telemetry } from '@pdm/contract';
import type { AlertRow, PredictionRow, SeriesPoint } from './api/contract.ts';

export function predictionRow(p: Prediction): PredictionRow {
  return {
    pumpId: p.pump_id,
    ts: p.ts,
    seq: p.seq,
    state: p.state,
    rawState: p.raw_state,
    probabilities: p.probabilities,
    vibrationRms: p.vibration_rms,
    isoZone: p.iso_zone,
    modelVersion: p.model_version,
    latencyMs: p.latency_ms,
    ...(p.rul_h === undefined ? {} : { rulH: p.rul_h }),
    ...(p.rul_model_version === undefined ? {} : { rulModelVersion: p.rul_model_version }),
  };
}

export function alertRow(a: Alert): AlertRow {
  return {
    pumpId: a.pump_id,
    ts: a.ts,
    seq: a.seq,
    kind: a.kind,
    state: a.state,
    previousState: a.previous_state,
    modelVersion: a.model_version,
    evidence: {
      rawStates: a.evidence.raw_states,
      probabilities: a.evidence.probabilities,
      vibrationRms: a.evidence.vibration_rms,
      isoZone: a.evidence.iso_zone,
      temperature: a.evidence.temperature,
      ...(a.evidence.rul_h === undefined ? {} : { rulH: a.evidence.rul_h }),
    },
  };
}

export function seriesPoint(t: Telemetry): SeriesPoint {
  const values = {} as Record<Channel, number>;
  for (const c of CHANNELS) values[c] = t[c];
  return { t: t.ts, values };
}

/** P(FAULTY) + P(BROKEN): how close a pump is to needing a crew. */
export function riskOf(probabilities: Prediction['probabilities']): number {
  return (probabilities.FAULTY ?? 0) + (probabilities.BROKEN ?? 0);
}
