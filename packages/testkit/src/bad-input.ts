/**
 * A corpus of bad MQTT input, each case with the reason a service must give when it dead-letters it.
 * Used by the acquisition and inference tests alike.
 */
import type { InvalidReason } from '@pdm/contract';

export interface BadInput {
  readonly name: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly reason: InvalidReason;
}

/**
 * @param topicFor builds the topic of the kind the service expects, e.g. `pdm/v1/training/<id>`
 * @param valid a valid message of that kind, as a plain object
 */
export function badInputCorpus(
  topicFor: (pumpId: string) => string,
  valid: Record<string, unknown>,
): BadInput[] {
  const id = String(valid.pump_id);
  const topic = topicFor(id);
  const json = JSON.stringify(valid);
  const withField = (field: string, value: string) =>
    json.replace(new RegExp(`"${field}":[^,}]+`), `"${field}":${value}`);
  const { flow: _flow, ...missingFlow } = valid;
  const cases: [string, string, string | Buffer, InvalidReason][] = [
    ['plain text', topic, 'pump is fine, thanks', 'not_json'],
    ['binary garbage', topic, Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37]), 'not_json'],
    ['truncated JSON', topic, json.slice(0, Math.floor(json.length / 2)), 'truncated'],
    ['empty payload', topic, '', 'empty'],
    ['NaN literal', topic, withField('temperature', 'NaN'), 'non_finite'],
    ['Infinity literal', topic, withField('pressure', 'Infinity'), 'non_finite'],
    ['a number that overflows to Infinity', topic, withField('flow', '1e999'), 'non_finite'],
    ['number sent as a string', topic, withField('current', '"42.0"'), 'wrong_type'],
    ['timestamp as an ISO string', topic, withField('ts', '"2026-01-01T00:00:00Z"'), 'wrong_type'],
    ['object where a number belongs', topic, withField('rpm', '{"value":2950}'), 'wrong_type'],
    ['missing channel', topic, JSON.stringify(missingFlow), 'missing_field'],
    ['array instead of object', topic, `[${json}]`, 'not_an_object'],
    ['JSON null', topic, 'null', 'not_an_object'],
    ['bare number', topic, '42', 'not_an_object'],
    ['negative seq', topic, withField('seq', '-1'), 'out_of_range'],
    ['timestamp in seconds', topic, withField('ts', '1767225600'), 'out_of_range'],
    ['impossible temperature', topic, withField('temperature', '5000'), 'out_of_range'],
    ['pump id that differs from the topic', topic, withField('pump_id', '"another-pump"'), 'pump_mismatch'],
    ['topic id with a space', topicFor('bad id'), json, 'unknown_topic'],
    ['a 60 KB topic', topicFor('x'.repeat(60_000)), json, 'unknown_topic'],
    ['oversized payload', topic, JSON.stringify({ ...valid, padding: 'x'.repeat(20_000) }), 'oversized'],
  ];
  if ('state' in valid) cases.push(['unknown state', topic, withField('state', '"DEAD"'), 'invalid_value']);
  return cases.map(([name, t, payload, reason]) => ({
    name,
    topic: t,
    payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
    reason,
  }));
}
