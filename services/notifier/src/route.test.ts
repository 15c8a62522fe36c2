import { describe, expect, it } from 'vitest';
import type { RouteConfig } from './config.ts';
import { groupOf, routesFor } from './route.ts';
import { routeConfig } from './testing/alerts.ts';

const route = (id: string, change: Partial<RouteConfig> = {}) => routeConfig(id, ['r'], change);

describe('routing', () => {
  const routes = [
    route('on-call', { states: ['BROKEN'] }),
    route('everything'),
    route('hall-b', { pumps: 'hallb-*' }),
  ];

  it('sends a BROKEN pump to the on-call route and to the route that takes everything', () => {
    expect(routesFor(routes, 'pump-00001', 'BROKEN').map((r) => r.id)).toEqual(['on-call', 'everything']);
  });

  it('keeps FAULTY off a route for BROKEN only', () => {
    expect(routesFor(routes, 'pump-00001', 'FAULTY').map((r) => r.id)).toEqual(['everything']);
  });

  it('sends a low remaining useful life to the route that takes everything, not to one for BROKEN only', () => {
    expect(routesFor(routes, 'pump-00001', 'RUL_LOW').map((r) => r.id)).toEqual(['everything']);
    expect(groupOf(route('r'), 'pump-1', 'RUL_LOW')).toEqual({
      key: 'state=RUL_LOW',
      labels: { state: 'RUL_LOW' },
    });
  });

  it('matches the pump pattern of a route', () => {
    expect(routesFor(routes, 'hallb-7', 'FAULTY').map((r) => r.id)).toEqual(['everything', 'hall-b']);
  });
});

describe('grouping keys', () => {
  it('puts every pump in one state into one group by default', () => {
    expect(groupOf(route('r'), 'pump-1', 'FAULTY')).toEqual(groupOf(route('r'), 'pump-2', 'FAULTY'));
    expect(groupOf(route('r'), 'pump-1', 'FAULTY').key).toBe('state=FAULTY');
  });

  it('gives each pump its own group when grouping by pump', () => {
    const byPump = route('r', { groupBy: ['pump_id'] });
    expect(groupOf(byPump, 'pump-1', 'FAULTY')).toEqual({
      key: 'pump_id=pump-1',
      labels: { pump_id: 'pump-1' },
    });
    expect(groupOf(byPump, 'pump-1', 'BROKEN').key).toBe('pump_id=pump-1');
  });

  it('puts everything into one group with no labels to group by', () => {
    expect(groupOf(route('r', { groupBy: [] }), 'pump-1', 'FAULTY').key).toBe('*');
  });
});
