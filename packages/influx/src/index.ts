// the builders only: the measurement names there are line-protocol.ts's to export
export {
  ALERT_COLUMNS,
  alertsFlux,
  DASHBOARD_LOOKBACK_MS,
  lastPredictionsFlux,
  latestPredictionsFlux,
  modelVersionSeenFlux,
  OPEN_ALERT_KINDS,
  type OpenAlertKind,
  openAlarmsFlux,
  PREDICTION_COLUMNS,
  predictionsFlux,
  samplesFlux,
} from './dashboard-queries.ts';
export * from './dashboard-reader.ts';
export * from './errors.ts';
export * from './health.ts';
export type { InfluxTarget } from './http.ts';
export * from './line-protocol.ts';
export * from './options.ts';
export * from './query.ts';
export * from './reader.ts';
export * from './writer.ts';
