import { LiveScorer, PUMP_STATES, type PumpState, type Telemetry } from '@pdm/contract';
import { FEATURE_COUNT, FEATURE_NAMES } from '@pdm/features';
import { createLogger, MetricsRegistry } from '@pdm/service-kit';
import { describe, expect, it } from 'vitest';
import { AlertPolicy } from './alerts.ts';
import type { DailyLog } from './daily-log.ts';
import type { LoadedModel } from './model.ts';
import { ModelHolder } from './model-holder.ts';
import { Pipeline } from './pipeline.ts';
import { Smoother } from './smoother.ts';
import { TrackedPumps } from './tracked-pumps.ts';

const HOUR = 3_600_000;

function telemetry(pumpId: string, seq: number, vibration: number): Telemetry {
  return {
    pump_id: pumpId,
    ts: 1_767_225_600_000 + seq * 1000,
    seq,
    vibration_x: vibration,
    vibration_y: vibration,
    vibration_z: vibration,
    vibration_rms: vibration,
    temperature: 56.6,
    pressure: 6.3,
    flow: 117,
    current: 56.4,
    rpm: 2957.7,
  };
}

/** A model that calls a sample FAULTY when its vibration is above 5 mm/s, and HEALTHY otherwise. */
function thresholdModel(): LoadedModel {
  const classes = [...PUMP_STATES];
  const column = FEATURE_NAMES.indexOf('vibration_rms');
  const session = {
    async run(feeds: Record<string, { dims: readonly number[]; data: Float32Array }>) {
      const input = feeds.features as { dims: readonly number[]; data: Float32Array };
      const n = input.dims[0] as number;
      const labels = Array.from(
        { length: n },
        (_, i): PumpState => ((input.data[i * FEATURE_COUNT + column] as number) > 5 ? 'FAULTY' : 'HEALTHY'),
      );
      return {
        output_label: { data: labels },
        output_probability: { data: new Float32Array(n * classes.length) },
      };
    },
    async release() {},
  };
  return {
    path: 'faulty.onnx',
    version: 'test',
    classes,
    session: session as unknown as LoadedModel['session'],
    fingerprint: '',
    io: { input: 'features', label: 'output_label', probabilities: 'output_probability' },
  };
}

/** The real pipeline and its per-pump parts, with the outputs stubbed. */
function pipelineWithParts() {
  const registry = new MetricsRegistry();
  const models = new ModelHolder();
  models.swap(thresholdModel());
  const smoother = new Smoother({ window: 1, agree: 1, calm: 1 });
  const alerts = new AlertPolicy(0);
  const scorer = new LiveScorer();
  scorer.addTruth('someone-else', 0, 'HEALTHY');
  const log = { write() {} } as unknown as DailyLog;
  const pipeline = new Pipeline(
    { maxBatch: 64, maxWaitMs: 0 },
    {
      models,
      smoother,
      alerts,
      scorer,
      jsonl: log,
      csv: log,
      publish: () => undefined,
      metrics: {
        predictions: registry.counter('p', 'p', ['state']),
        duplicates: registry.counter('d', 'd'),
        outOfOrder: registry.counter('o', 'o'),
        windowRestarts: registry.counter('w', 'w'),
        alerts: registry.counter('a', 'a', ['kind', 'state']),
        batchSize: registry.histogram('b', 'b'),
        inferenceMs: registry.histogram('i', 'i'),
        latencyMs: registry.histogram('l', 'l'),
      },
      logger: createLogger({ name: 'test', level: 'silent' }),
    },
  );
  return { pipeline, smoother, alerts, scorer };
}

describe('tracked pumps', () => {
  it('never tracks more pumps than its bound, however many new ids arrive', () => {
    const tracked = new TrackedPumps({ maxPumps: 100, idleMs: HOUR }, () => {});
    let refused = 0;
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      if (!tracked.admit(`flood-${i}`, i)) refused += 1;
      largest = Math.max(largest, tracked.size);
    }
    expect(largest).toBe(100);
    expect(refused).toBe(9_900);
    // The pumps it tracks keep going.
    expect(tracked.admit('flood-0', 10_000)).toBe(true);
  });

  it('forgets a pump silent for the idle time, and so makes room for a new one', () => {
    const forgotten: string[] = [];
    const tracked = new TrackedPumps({ maxPumps: 2, idleMs: HOUR }, (ids) => forgotten.push(...ids));
    tracked.admit('quiet', 0);
    tracked.admit('chatty', 0);
    expect(tracked.admit('newcomer', 1)).toBe(false);
    tracked.admit('chatty', HOUR / 2);
    expect(tracked.sweep(HOUR)).toEqual([]);
    expect(tracked.sweep(HOUR + 1)).toEqual(['quiet']);
    expect(forgotten).toEqual(['quiet']);
    expect(tracked.admit('newcomer', HOUR + 2)).toBe(true);
    expect(tracked.size).toBe(2);
  });

  it('keeps a pump whose samples are still in flight, however long ago they arrived', () => {
    const tracked = new TrackedPumps({ maxPumps: 10, idleMs: 1000 }, () => {});
    tracked.admit('busy', 100);
    tracked.admit('idle', 50);
    expect(tracked.sweep(10_000, 100)).toEqual(['idle']);
    expect(tracked.sweep(10_000, 101)).toEqual(['busy']);
  });

  it('holds per-pump state for at most the bound under a flood of new ids, and none once they fall silent', async () => {
    const { pipeline, smoother, alerts, scorer } = pipelineWithParts();
    const tracked = new TrackedPumps({ maxPumps: 500, idleMs: HOUR }, (ids) => pipeline.forget(ids));
    // Each new pump sends a healthy sample, then a faulty one: a window, a smoothed state and an alert.
    for (let i = 0; i < 5_000; i++) {
      for (const sample of [telemetry(`flood-${i}`, 0, 1.2), telemetry(`flood-${i}`, 1, 9)]) {
        if (tracked.admit(sample.pump_id, i)) pipeline.accept(sample, i);
      }
    }
    await pipeline.drain();
    const held = () => [tracked.size, pipeline.pumps, smoother.pumps, alerts.pumps, scorer.pending];
    expect(held()).toEqual([500, 500, 500, 500, 1001]);

    tracked.sweep(5_000 + HOUR, pipeline.oldestPending);
    expect(held()).toEqual([0, 0, 0, 0, 1]);
  });
});
