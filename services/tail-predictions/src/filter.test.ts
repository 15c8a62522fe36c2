import { describe, expect, it } from 'vitest';
import { createFilter, pumpMatcher } from './filter.ts';
import { alert, prediction } from './testing/fixtures.ts';

const pumps = (filter: ReturnType<typeof createFilter>, ids: string[]) =>
  ids.filter((id) => filter.prediction(prediction({ pump_id: id })));

describe('filtering rows', () => {
  it('lets everything through when no filter is given', () => {
    const filter = createFilter({ alertsOnly: false });
    expect(filter.prediction(prediction())).toBe(true);
    expect(filter.alert(alert())).toBe(true);
  });

  it('keeps only the listed pumps, by exact id', () => {
    const filter = createFilter({ pumps: ['pump-00042', 'pump-00007'], alertsOnly: false });
    expect(pumps(filter, ['pump-00042', 'pump-00007', 'pump-000420', 'pump-00043'])).toEqual([
      'pump-00042',
      'pump-00007',
    ]);
  });

  it('matches glob patterns: * for any characters, ? for one, dots taken literally', () => {
    const filter = createFilter({ pumps: ['pump-000*', 'p?.1'], alertsOnly: false });
    expect(pumps(filter, ['pump-00001', 'pump-00099', 'pump-00100', 'xpump-00001', 'pA.1', 'pAx1'])).toEqual([
      'pump-00001',
      'pump-00099',
      'pA.1',
    ]);
    expect(pumpMatcher(['a.b']).test('axb')).toBe(false);
  });

  it('keeps only the listed smoothed states, whatever the raw state', () => {
    const filter = createFilter({ states: ['FAULTY', 'BROKEN'], alertsOnly: false });
    expect(filter.prediction(prediction({ state: 'FAULTY', raw_state: 'HEALTHY' }))).toBe(true);
    expect(filter.prediction(prediction({ state: 'BROKEN' }))).toBe(true);
    expect(filter.prediction(prediction({ state: 'WARNING', raw_state: 'FAULTY' }))).toBe(false);
  });

  it('lets an alert through by its new or its previous state, so a recovery still shows', () => {
    const filter = createFilter({ states: ['FAULTY'], alertsOnly: false });
    expect(filter.alert(alert({ kind: 'recovered', state: 'HEALTHY', previous_state: 'FAULTY' }))).toBe(true);
    expect(filter.alert(alert({ state: 'BROKEN', previous_state: 'WARNING' }))).toBe(false);
  });

  it('combines filters: a row must pass every one', () => {
    const filter = createFilter({ pumps: ['pump-1*'], states: ['BROKEN'], alertsOnly: false });
    expect(filter.prediction(prediction({ pump_id: 'pump-10', state: 'BROKEN' }))).toBe(true);
    expect(filter.prediction(prediction({ pump_id: 'pump-10', state: 'FAULTY' }))).toBe(false);
    expect(filter.prediction(prediction({ pump_id: 'pump-20', state: 'BROKEN' }))).toBe(false);
    expect(filter.alert(alert({ pump_id: 'pump-20', state: 'BROKEN' }))).toBe(false);
  });

  it('drops every prediction but keeps alerts with --alerts-only', () => {
    const filter = createFilter({ alertsOnly: true });
    expect(filter.prediction(prediction({ state: 'BROKEN' }))).toBe(false);
    expect(filter.alert(alert())).toBe(true);
  });
});
