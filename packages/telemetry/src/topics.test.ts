import { describe, expect, it } from 'vitest';
import { parseTopic, sharedFilter, topicFilter, topics } from './topics.ts';

describe('topic layout', () => {
  it('puts a version segment in every topic', () => {
    expect(topics.training('p-1')).toBe('pdm/v1/training/p-1');
    expect(topics.status('acquisition')).toBe('pdm/v1/status/acquisition');
    expect(topicFilter('telemetry')).toBe('pdm/v1/telemetry/+');
    expect(sharedFilter('acq', 'training')).toBe('$share/acq/pdm/v1/training/+');
  });

  it('parses what it builds', () => {
    for (const kind of ['training', 'telemetry', 'groundtruth', 'predictions', 'alerts', 'status'] as const) {
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
  ])('rejects %s', (topic) => {
    expect(parseTopic(topic)).toBeUndefined();
  });
});
