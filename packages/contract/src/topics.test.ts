import { describe, expect, it } from 'vitest';
import {
  clipTopic,
  MAX_LOGGED_TOPIC_CHARS,
  parseTopic,
  sharedFilter,
  TOPIC_KINDS,
  topicFilter,
  topics,
} from './topics.ts';

describe('topic layout', () => {
  it('puts a version segment in every topic', () => {
    expect(topics.training('p-1')).toBe('pdm/v1/training/p-1');
    expect(topics.status('acquisition')).toBe('pdm/v1/status/acquisition');
    expect(topics.acks('pump-00042')).toBe('pdm/v1/acks/pump-00042');
    expect(topicFilter('telemetry')).toBe('pdm/v1/telemetry/+');
    expect(sharedFilter('acq', 'training')).toBe('$share/acq/pdm/v1/training/+');
  });

  it('puts a gateway id between the gateway segment and what the gateway sends', () => {
    expect(topics.gateway_telemetry('gw-01')).toBe('pdm/v1/gateway/gw-01/telemetry');
    expect(topicFilter('gateway_telemetry')).toBe('pdm/v1/gateway/+/telemetry');
    expect(sharedFilter('acq', 'gateway_telemetry')).toBe('$share/acq/pdm/v1/gateway/+/telemetry');
  });

  it('parses what it builds', () => {
    for (const kind of TOPIC_KINDS) {
      expect(parseTopic(topics[kind]('pump-00042'))).toEqual({ kind, id: 'pump-00042' });
    }
  });

  it.each([
    'pdm/v2/training/p1',
    'pdm/v1/unknown/p1',
    'pdm/v1/training',
    'pdm/v1/training/p1/extra',
    'pdm/v1/training/',
    'pdm/v1/training/p+1',
    'other/v1/training/p1',
    'pdm/v1/gateway/gw-01',
    'pdm/v1/gateway/gw-01/predictions',
    'pdm/v1/gateway/gw+1/telemetry',
    'pdm/v1/gateway_telemetry/gw-01',
    'pdm/v1/telemetry/gw-01/telemetry',
  ])('rejects %s', (topic) => {
    expect(parseTopic(topic)).toBeUndefined();
  });

  it('clips a long topic for logs and dead letters, saying how long it was', () => {
    const long = `pdm/v1/telemetry/${'x'.repeat(60_000)}`;
    const clipped = clipTopic(long);
    expect(clipped).toBe(`${long.slice(0, MAX_LOGGED_TOPIC_CHARS)}…[60017 chars]`);
    expect(clipTopic(topics.telemetry('pump-00001'))).toBe('pdm/v1/telemetry/pump-00001');
    expect(clipTopic('a'.repeat(MAX_LOGGED_TOPIC_CHARS))).toBe('a'.repeat(MAX_LOGGED_TOPIC_CHARS));
  });

  it('never clips a topic in the middle of a character', () => {
    const clipped = clipTopic(`${'a'.repeat(MAX_LOGGED_TOPIC_CHARS - 1)}${'😀'.repeat(10)}`);
    expect(clipped.startsWith(`${'a'.repeat(MAX_LOGGED_TOPIC_CHARS - 1)}…`)).toBe(true);
    // A lone surrogate would not survive UTF-8.
    expect(Buffer.from(clipped).toString()).toBe(clipped);
  });
});
