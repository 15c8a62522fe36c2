/** Routing, as Alertmanager does it: which routes take an alarm, and which of a route's groups it joins. */
import type { AlarmName } from './alerts.ts';
import type { RouteConfig } from './config.ts';
import { matchesPattern } from './pattern.ts';

/** Every route whose states and pump pattern match; each of them notifies its receivers. */
export function routesFor(routes: readonly RouteConfig[], pumpId: string, state: AlarmName): RouteConfig[] {
  return routes.filter(
    (r) => r.states.includes(state) && (r.pumps === undefined || matchesPattern(r.pumps, pumpId)),
  );
}

export interface GroupId {
  /** the group's labels as one string, e.g. `state=BROKEN` */
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The group an alarm joins on a route: the values of the route's group_by labels. */
export function groupOf(route: RouteConfig, pumpId: string, state: AlarmName): GroupId {
  const values: Record<string, string> = { pump_id: pumpId, state };
  const labels = Object.fromEntries(route.groupBy.map((label) => [label, values[label] as string]));
  const key = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return { key: key === '' ? '*' : key, labels };
}
