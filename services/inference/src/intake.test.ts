import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTelemetry, LiveScorer, type Telemetry, topics } from '@pdm/contract';
import { createLogger, MetricsRegistry } from '@pdm/service-kit';
import { describe, expect, it } from 'vitest';
import { DeadLetters } from './dead-letters.ts';
import { intake } from './intake.ts';
import { ownsPump } from './partition.ts';
import { TrackedPumps } from './tracked-pumps.ts';

function telemetry(pumpId: string, seq: number): Telemetry {
  return {
    pump_id: pumpId,
    ts: 1_767_225_600_000 + seq * 1000,
    seq,
    vibration_x: 1.2,
    vibration_y: 1.2,
    vibration_z: 1.2,
    vibration_rms: 1.2,
    temperature: 56.6,
    pressure: 6.3,
    flow: 117,
    current: 56.4,
    rpm: 2957.7,
  };
}

function setUp(settings: { replicas: number; replica: number; maxPumps: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'pdm-intake-'));
  const registry = new MetricsRegistry();
  const accepted: string[] = [];
  const deadLetters = new DeadLetters(dir, 30, createLogger({ name: 'test', level: 'silent' }));
  const onMessage = intake(settings, {
    scorer: new LiveScorer(),
    tracked: new TrackedPumps({ maxPumps: settings.maxPumps, idleMs: 60_000 }, () => {}),
    pipeline: {
      accept: (sample) => {
        accepted.push(`${sample.pump_id}#${sample.seq}`);
        return Promise.resolve();
      },
    },
    deadLetters,
    metrics: {
      messages: registry.counter('messages', 'messages', ['kind']),
      invalid: registry.counter('invalid', 'invalid', ['reason']),
      refused: registry.counter('refused', 'refused'),
    },
  });
  const send = (s: Telemetry) => onMessage(topics.telemetry(s.pump_id), Buffer.from(encodeTelemetry(s)));
  const letters = async () => {
    await deadLetters.close();
    return readdirSync(dir).flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { reason: string; topic: string }),
    );
  };
  return { onMessage, send, accepted, registry, letters };
}

describe('intake', () => {
  it('leaves the pumps of another replica alone', async () => {
    const theirs = ['a', 'b', 'c', 'd', 'e', 'f'].find((id) => !ownsPump(id, 2, 0)) as string;
    const { send, accepted, registry } = setUp({ replicas: 2, replica: 0, maxPumps: 10 });
    expect(send(telemetry(theirs, 0))).toBeUndefined();
    expect(accepted).toEqual([]);
    expect(await registry.metrics()).not.toMatch(/^messages\{kind="telemetry"\} [1-9]/m);
  });

  it('hands telemetry to the pipeline, and dead-letters a new pump beyond MAX_PUMPS', async () => {
    const { send, accepted, registry, letters } = setUp({ replicas: 1, replica: 0, maxPumps: 1 });
    await send(telemetry('first', 0));
    expect(send(telemetry('second', 0))).toBeUndefined();
    await send(telemetry('first', 1));
    expect(accepted).toEqual(['first#0', 'first#1']);
    expect((await letters()).map((l) => [l.reason, l.topic])).toEqual([
      ['too_many_pumps', topics.telemetry('second')],
    ]);
    expect(await registry.metrics()).toMatch(/^refused 1$/m);
  });

  it('counts and dead-letters invalid telemetry by its reason', async () => {
    const { onMessage, registry, letters, accepted } = setUp({ replicas: 1, replica: 0, maxPumps: 10 });
    onMessage(topics.telemetry('bad'), Buffer.from('{"pump_id": "bad", '));
    expect(accepted).toEqual([]);
    expect((await letters()).map((l) => l.reason)).toEqual(['truncated']);
    expect(await registry.metrics()).toMatch(/^invalid\{reason="truncated"\} 1$/m);
  });
});
