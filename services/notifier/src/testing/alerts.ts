/** Alert messages, alarm records and routes for the notifier's tests. */
import type { AlarmState, Alert } from '@pdm/contract';
import type { AlarmRecord } from '../alerts.ts';
import { DEFAULT_TIMINGS, type RouteConfig } from '../config.ts';

export const T0 = Date.UTC(2026, 0, 1);

/** An alert as inference publishes it. */
export function alertMessage(
  pumpId: string,
  kind: Alert['kind'],
  state: Alert['state'],
  {
    ts = T0,
    seq = 100,
    previous = kind === 'alarm' ? 'WARNING' : 'FAULTY',
  }: { ts?: number; seq?: number; previous?: Alert['previous_state'] } = {},
): Alert {
  return {
    pump_id: pumpId,
    ts,
    seq,
    kind,
    state,
    previous_state: previous,
    model_version: '2026-11-26T11:15:40.522Z#3f1c0d2e',
    evidence: {
      raw_states: ['WARNING', state, state],
      probabilities: { [state]: 0.62, WARNING: 0.35 },
      vibration_rms: 5.93,
      iso_zone: 'C',
      temperature: 71.2,
    },
  };
}

export function alarmRecord(
  id: number,
  pumpId: string,
  state: AlarmState,
  change: Partial<AlarmRecord> = {},
): AlarmRecord {
  return {
    id,
    pumpId,
    state,
    status: 'firing',
    startsAt: T0,
    endsAt: undefined,
    alert: alertMessage(pumpId, 'alarm', state),
    recovery: undefined,
    ack: undefined,
    ...change,
  };
}

/** A route that takes every alarm to `receivers`, grouped by state, with Alertmanager's timings. */
export function routeConfig(id: string, receivers: string[], change: Partial<RouteConfig> = {}): RouteConfig {
  return {
    id,
    receivers,
    states: ['FAULTY', 'BROKEN'],
    pumps: undefined,
    groupBy: ['state'],
    sendResolved: true,
    ...DEFAULT_TIMINGS,
    ...change,
  };
}
