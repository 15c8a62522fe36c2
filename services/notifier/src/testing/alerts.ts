/** Alert messages, alarm records and routes for the notifier's tests. */
import { type Alert, topics } from '@pdm/contract';
import mqtt from 'mqtt';
import { ALARM_NAMES, type AlarmName, type AlarmRecord } from '../alerts.ts';
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

/**
 * "Plan the repair now": the pump's smoothed RUL fell below ALERT_RUL_H; `state` and `previous_state`
 * are both its current state.
 */
export function rulLowMessage(
  pumpId: string,
  rulH: number,
  { ts = T0, seq = 100, state = 'WARNING' }: { ts?: number; seq?: number; state?: Alert['state'] } = {},
): Alert {
  const base = alertMessage(pumpId, 'rul_low', state, { ts, seq, previous: state });
  return { ...base, evidence: { ...base.evidence, rul_h: rulH } };
}

export function alarmRecord(
  id: number,
  pumpId: string,
  state: AlarmName,
  change: Partial<AlarmRecord> = {},
): AlarmRecord {
  return {
    id,
    pumpId,
    state,
    status: 'firing',
    startsAt: T0,
    endsAt: undefined,
    alert: state === 'RUL_LOW' ? rulLowMessage(pumpId, 12.3) : alertMessage(pumpId, 'alarm', state),
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
    states: ALARM_NAMES,
    pumps: undefined,
    groupBy: ['state'],
    sendResolved: true,
    ...DEFAULT_TIMINGS,
    ...change,
  };
}

/** `pump-00000`, `pump-00001`, …: the pumps of the process tests. */
export const numberedPump = (i: number) => `pump-${String(i).padStart(5, '0')}`;

/** Publishes a FAULTY alarm, QoS 1, for each of the numbered pumps from `from` up to `to` (exclusive). */
export async function publishAlarms(brokerUrl: string, from: number, to: number): Promise<void> {
  const client = await mqtt.connectAsync(brokerUrl, { protocolVersion: 5, clean: true });
  for (let i = from; i < to; i++)
    await client.publishAsync(
      topics.alerts(numberedPump(i)),
      JSON.stringify(alertMessage(numberedPump(i), 'alarm', 'FAULTY')),
      { qos: 1 },
    );
  await client.endAsync();
}
