import { describe, expect, it } from 'vitest';
import { createFilter, type FilterSettings } from './filter.ts';
import { alert, prediction } from './testing/fixtures.ts';
import { type Invalid, View } from './view.ts';

function setUp(filter: Partial<FilterSettings> = {}, json = false) {
  const reports: Invalid[] = [];
  const view = new View({ filter: createFilter({ alertsOnly: false, ...filter }), json, color: false }, (i) =>
    reports.push(i),
  );
  return { view, reports };
}

describe('viewing rows', () => {
  it('formats a log line that passes the filters, and prints nothing for one that does not', () => {
    const { view } = setUp({ states: ['FAULTY'] });
    const faulty = JSON.stringify(prediction({ state: 'FAULTY' }));
    expect(view.logLine(faulty, 'f.jsonl', 0)).toMatch(/^10:20:30\.123 {2}pump-00042 {2}FAULTY .*\n$/);
    expect(view.logLine(JSON.stringify(prediction()), 'f.jsonl', 0)).toBe('');
    expect(view.matches(faulty)).toBe(true);
    expect(view.matches(JSON.stringify(prediction()))).toBe(false);
  });

  it('reports a line that is not JSON or not a prediction, with where it was, and prints nothing', () => {
    const { view, reports } = setUp();
    expect(view.logLine('{"pump_id":"pump-1","ts":', 'f.jsonl', 10)).toBe('');
    expect(view.logLine(JSON.stringify({ ...prediction(), state: 'ON_FIRE' }), 'f.jsonl', 40)).toBe('');
    expect(reports.map((r) => [r.reason, r.where])).toEqual([
      ['not_json', { file: 'f.jsonl', offset: 10 }],
      ['not_a_prediction', { file: 'f.jsonl', offset: 40 }],
    ]);
    expect(reports[1]?.detail).toMatch(/^state: /);
    expect(view.matches('not json')).toBe(false);
    expect(reports).toHaveLength(2);
  });

  it('passes matching rows through unchanged with --json', () => {
    const { view } = setUp({ pumps: ['pump-00042'] }, true);
    const text = `{ "pump_id" : "pump-00042", ${JSON.stringify(prediction()).slice(24)}`;
    expect(view.logLine(text, 'f.jsonl', 0)).toBe(`${text}\n`);
    expect(view.logLine(JSON.stringify(prediction({ pump_id: 'pump-1' })), 'f.jsonl', 0)).toBe('');
  });

  it('shows predictions and alerts from their MQTT topics', () => {
    const { view } = setUp();
    const p = view.message('pdm/v1/predictions/pump-00042', Buffer.from(JSON.stringify(prediction())));
    const a = view.message('pdm/v1/alerts/pump-00042', Buffer.from(JSON.stringify(alert())));
    expect(p).toContain('pump-00042  HEALTHY');
    expect(a).toContain('pump-00042  ALARM      WARNING → FAULTY');
  });

  it('reports an MQTT message whose payload is wrong for its topic', () => {
    const { view, reports } = setUp();
    expect(view.message('pdm/v1/alerts/pump-00042', Buffer.from(JSON.stringify(prediction())))).toBe('');
    expect(view.message('pdm/v1/predictions/pump-1', Buffer.from(JSON.stringify(prediction())))).toBe('');
    expect(view.message('pdm/v1/predictions/pump-1', Buffer.from('garbage'))).toBe('');
    expect(reports.map((r) => r.reason)).toEqual(['missing_field', 'pump_mismatch', 'not_json']);
    expect(reports[0]?.where).toEqual({ topic: 'pdm/v1/alerts/pump-00042' });
  });
});
