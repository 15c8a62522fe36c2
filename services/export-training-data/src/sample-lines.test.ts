import { encodeTelemetry, encodeTrainingSample, topics } from '@pdm/contract';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_SAMPLE } from './fixtures.ts';
import { parseSampleLine } from './sample-lines.ts';

const sample = EXAMPLE_SAMPLE;
const { state: _s, health_pct: _h, rul_h: _r, failure_mode: _f, ...telemetry } = sample;

/** A line as the simulators' --stdout writes it: the payload text spliced in as it is. */
const line = (topic: string, payload: string) => `{"topic":"${topic}","payload":${payload}}`;
const training = (payload = encodeTrainingSample(sample)) => line(topics.training(sample.pump_id), payload);

describe('a line of simulator JSON Lines', () => {
  it('is a labelled sample on the training topic', () => {
    expect(parseSampleLine(training())).toEqual({ ok: true, sample, source: 'training' });
  });

  it('is raw telemetry on the telemetry topic, without ground truth', () => {
    const verdict = parseSampleLine(line(topics.telemetry(sample.pump_id), encodeTelemetry(telemetry)));
    expect(verdict).toEqual({ ok: true, sample: telemetry, source: 'telemetry' });
  });

  it.each([
    ['a payload chaos cut short', training(encodeTrainingSample(sample).slice(0, 40)), 'not_json'],
    ['NaN, which is no JSON', training(encodeTrainingSample(sample).replace('45.65', 'NaN')), 'not_json'],
    ['garbage', 'not json at all', 'not_json'],
    ['JSON that is no message', '[1, 2, 3]', 'not_a_message'],
    ['a message without a payload', `{"topic":"${topics.training(sample.pump_id)}"}`, 'not_a_message'],
    ['a topic acquisition does not store', line(topics.groundtruth(sample.pump_id), '{}'), 'unknown_topic'],
    [
      'a number that overflows',
      training(encodeTrainingSample(sample).replace('58.18', '1e999')),
      'non_finite',
    ],
    ['a number as a string', training(JSON.stringify({ ...sample, pressure: '6.3' })), 'wrong_type'],
    ['a missing field', training(JSON.stringify({ ...sample, flow: undefined })), 'missing_field'],
    ['a training sample without its ground truth', training(encodeTelemetry(telemetry)), 'missing_field'],
    ['an impossible reading', training(JSON.stringify({ ...sample, temperature: 5000 })), 'out_of_range'],
    [
      'another pump than the topic’s',
      line(topics.training('other'), encodeTrainingSample(sample)),
      'pump_mismatch',
    ],
  ])('is refused when it holds %s, with the reason and a detail', (_, text, reason) => {
    const verdict = parseSampleLine(text);
    expect(verdict).toMatchObject({ ok: false, reason });
    expect(!verdict.ok && verdict.detail.length).toBeGreaterThan(0);
  });

  it('keeps a refusal short whatever the line holds', () => {
    const verdict = parseSampleLine(`{"topic": ${'x'.repeat(10_000)}`);
    expect(!verdict.ok && verdict.detail.length).toBeLessThanOrEqual(200);
  });
});
