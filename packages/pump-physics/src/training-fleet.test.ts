import { encodeTrainingSample, parseTopic, trainingSampleSchema } from '@pdm/contract';
import { describe, expect, it } from 'vitest';
import { type TrainingFleetOptions, type TrainingMessage, trainingFleet } from './training-fleet.ts';

const options: TrainingFleetOptions = {
  pumps: 30,
  seed: 3,
  lifetime: { beta: 2, eta: 40 },
  intervalS: 600,
  postFailureSamples: 5,
  startMs: Date.parse('2026-01-01T00:00:00Z'),
  idPrefix: 'train-s3',
};

/** Node 20 has no Map.groupBy. */
function byPumpId(messages: TrainingMessage[]): Map<string, TrainingMessage[]> {
  const groups = new Map<string, TrainingMessage[]>();
  for (const m of messages) groups.set(m.sample.pump_id, [...(groups.get(m.sample.pump_id) ?? []), m]);
  return groups;
}

describe('training fleet (contract)', () => {
  const messages = [...trainingFleet(options)];

  it('emits only samples that validate against the training schema, on the pump’s training topic', () => {
    expect(messages.length).toBeGreaterThan(1000);
    for (const m of messages) {
      const wire = JSON.parse(encodeTrainingSample(m.sample)) as unknown;
      expect(trainingSampleSchema.parse(wire)).toEqual(wire);
      expect(parseTopic(m.topic)).toEqual({ kind: 'training', id: m.sample.pump_id });
    }
  });

  it('numbers each pump’s samples 0, 1, 2, … with timestamps one interval apart', () => {
    const byPump = byPumpId(messages);
    expect(byPump.size).toBe(options.pumps);
    for (const samples of byPump.values()) {
      samples.forEach((m, i) => {
        expect(m.sample.seq).toBe(i);
        expect(m.sample.ts).toBe(options.startMs + i * options.intervalS * 1000);
      });
    }
  });

  it('runs every pump from HEALTHY to a few samples past failure', () => {
    for (const samples of byPumpId(messages).values()) {
      expect(samples[0]?.state).toBe('HEALTHY');
      const failedAfter = samples.filter((m) => m.sample.health_pct === 0);
      expect(failedAfter.length).toBeGreaterThanOrEqual(options.postFailureSamples);
      expect(samples.at(-1)?.state).toBe('BROKEN');
    }
  });

  it('gives the same messages for the same seed', () => {
    expect([...trainingFleet(options)].map((m) => encodeTrainingSample(m.sample))).toEqual(
      messages.map((m) => encodeTrainingSample(m.sample)),
    );
  });

  it('adds sensor chaos on request without touching the labels', () => {
    const chaotic = [
      ...trainingFleet({
        ...options,
        chaos: { glitch: 0.02, heatwave: 0.002, freeze: 0.005, dropout: 0.005, malformed: 0 },
      }),
    ];
    expect(chaotic.map((m) => m.state)).toEqual(messages.map((m) => m.state));
    expect(chaotic.map((m) => m.sample.health_pct)).toEqual(messages.map((m) => m.sample.health_pct));
    const dropped = chaotic.filter((m) => m.payload === undefined).length;
    expect(dropped).toBeGreaterThan(0);
    const glitched = chaotic.filter(
      (m, i) => m.sample.vibration_x - (messages[i]?.sample.vibration_x ?? 0) >= 15,
    ).length;
    expect(glitched).toBeGreaterThan(0);
    expect(messages.every((m) => m.payload !== undefined)).toBe(true);
  });

  it('repairs a pump after its post-failure samples and runs it again when asked for more lifecycles', () => {
    const two = [...trainingFleet({ ...options, pumps: 5, lifecycles: 2 })];
    for (const samples of byPumpId(two).values()) {
      expect(samples.map((m) => m.sample.seq)).toEqual(samples.map((_, i) => i));
      const restarts = samples.filter(
        (m, i) => i > 0 && m.sample.health_pct > (samples[i - 1]?.sample.health_pct ?? 0),
      );
      expect(restarts).toHaveLength(1);
      expect(restarts[0]?.state).toBe('HEALTHY');
      expect(samples.at(-1)?.state).toBe('BROKEN');
    }
    const once = [...trainingFleet({ ...options, pumps: 5 })];
    expect(two.length).toBeGreaterThan(once.length * 1.3);
  });
});
