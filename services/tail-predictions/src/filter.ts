/** Which rows the operator asked to see: by pump (ids or glob patterns), by state, alerts only. */
import type { Alert, Prediction, PumpState } from '@pdm/contract';

export interface FilterSettings {
  /** pump ids or glob patterns (`*` any characters, `?` one); none: every pump */
  readonly pumps?: readonly string[] | undefined;
  /** smoothed states; none: every state */
  readonly states?: readonly PumpState[] | undefined;
  readonly alertsOnly: boolean;
}

export interface Filter {
  prediction(prediction: Prediction): boolean;
  /** an alert matches a state by its new or its previous state, so a recovery from FAULTY still shows */
  alert(alert: Alert): boolean;
}

/** One anchored expression for all patterns, so a row costs one test however many were given. */
export function pumpMatcher(patterns: readonly string[]): RegExp {
  const alternatives = patterns.map((p) =>
    p
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')))
      .join(''),
  );
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}

export function createFilter(settings: FilterSettings): Filter {
  const pumps = settings.pumps?.length ? pumpMatcher(settings.pumps) : undefined;
  const states = settings.states?.length ? new Set(settings.states) : undefined;
  const pumpOk = (id: string) => pumps === undefined || pumps.test(id);
  return {
    prediction: (p) => !settings.alertsOnly && pumpOk(p.pump_id) && (!states || states.has(p.state)),
    alert: (a) => pumpOk(a.pump_id) && (!states || states.has(a.state) || states.has(a.previous_state)),
  };
}
