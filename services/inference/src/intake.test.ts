import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeGatewayGroundTruth,
  encodeGatewayRow,
  encodeGatewayTelemetry,
  encodeGatewayTruthRow,
  encodeTelemetry,
  type GroundTruth,
  LiveScorer,
  type Telemetry,
  topics,
} from '@pdm/contract';
import { createLogger, MetricsRegistry } from '@pdm/service-kit';
import { describe, expect, it } from 'vitest';
import { DeadLetters } from './dead-letters.ts';
import { intake } from './intake.ts';
import { ownsPump, PumpRoutes } from './partition.ts';
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
  const scorer = new LiveScorer();
  const deadLetters = new DeadLetters(dir, 30, createLogger({ name: 'test', level: 'silent' }));
  const onMessage = intake(settings, {
    scorer,
    tracked: new TrackedPumps({ maxPumps: settings.maxPumps, idleMs: 60_000 }, () => {}),
    routes: new PumpRoutes(settings.replicas, settings.replica),
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
      gatewayRows: registry.counter('gateway_rows', 'gateway rows'),
      refused: registry.counter('refused', 'refused'),
      routeConflicts: registry.counter('route_conflicts', 'route conflicts'),
    },
    logger: createLogger({ name: 'test', level: 'silent' }),
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
  const sendGateway = (gatewayId: string, rows: string[]) =>
    onMessage(
      topics.gateway_telemetry(gatewayId),
      Buffer.from(encodeGatewayTelemetry(gatewayId, 1_767_225_600_000, rows)),
    );
  const sendGatewayTruth = (gatewayId: string, rows: string[]) =>
    onMessage(
      topics.gateway_groundtruth(gatewayId),
      Buffer.from(encodeGatewayGroundTruth(gatewayId, 1_767_225_600_000, rows)),
    );
  return { onMessage, send, sendGateway, sendGatewayTruth, accepted, registry, letters, scorer };
}

function truthOf(pumpId: string, seq: number): GroundTruth {
  return {
    pump_id: pumpId,
    ts: 1_767_225_600_000,
    seq,
    state: 'HEALTHY',
    health_pct: 100,
    rul_h: 10,
    failure_mode: 'BEARING_WEAR',
    lifecycle: 0,
    chaos: [],
  };
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

  it('takes a gateway message’s valid rows and dead-letters its bad row with the row’s reason', async () => {
    const { sendGateway, accepted, registry, letters } = setUp({ replicas: 1, replica: 0, maxPumps: 10 });
    const rows = ['g-a', 'g-b', 'g-c'].map((id) => encodeGatewayRow(telemetry(id, 0)));
    rows[1] = (rows[1] as string).replace('"g-b",0,', '"g-b",-1,');
    await sendGateway('gw-1', rows);
    expect(accepted).toEqual(['g-a#0', 'g-c#0']);
    const [letter, ...more] = await letters();
    expect(more).toEqual([]);
    expect(letter?.reason).toBe('out_of_range');
    expect(letter?.topic).toBe(topics.gateway_telemetry('gw-1'));
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/^invalid\{reason="out_of_range"\} 1$/m);
    expect(metrics).toMatch(/^gateway_rows 3$/m);
    expect(metrics).toMatch(/^messages\{kind="gateway_telemetry"\} 1$/m);
  });

  it('hands a gateway message whole to the replica its gateway id hashes to', () => {
    const ours = ['gw-a', 'gw-b', 'gw-c', 'gw-d'].find((id) => ownsPump(id, 2, 0)) as string;
    const theirs = ['gw-a', 'gw-b', 'gw-c', 'gw-d'].find((id) => !ownsPump(id, 2, 0)) as string;
    const { sendGateway, accepted } = setUp({ replicas: 2, replica: 0, maxPumps: 10 });
    const pumps = Array.from({ length: 8 }, (_, i) => `p${i}`);
    expect(
      sendGateway(
        theirs,
        pumps.map((id) => encodeGatewayRow(telemetry(id, 0))),
      ),
    ).toBeUndefined();
    sendGateway(
      ours,
      pumps.map((id) => encodeGatewayRow(telemetry(id, 0))),
    );
    // every pump of our gateway, whichever replica its own id hashes to
    expect(accepted).toEqual(pumps.map((id) => `${id}#0`));
  });

  it('with replicas, takes the ground truth of the pumps it keeps, gateway pumps included, and no other', async () => {
    const gateway = ['gw-a', 'gw-b', 'gw-c', 'gw-d'].find((id) => ownsPump(id, 2, 0)) as string;
    // a pump whose own topic hashes to the other replica
    const pump = ['p0', 'p1', 'p2', 'p3'].find((id) => !ownsPump(id, 2, 0)) as string;
    const stranger = ['q0', 'q1', 'q2', 'q3'].find((id) => ownsPump(id, 2, 0)) as string;
    const { onMessage, sendGateway, registry } = setUp({ replicas: 2, replica: 0, maxPumps: 10 });
    await sendGateway(gateway, [encodeGatewayRow(telemetry(pump, 0))]);
    for (const id of [pump, stranger]) {
      onMessage(topics.groundtruth(id), Buffer.from(JSON.stringify(truthOf(id, 0))));
    }
    expect(await registry.metrics()).toMatch(/^messages\{kind="groundtruth"\} 1$/m);
  });

  it('scores each row of a gateway’s ground truth as a per-pump truth, and dead-letters its bad row with the row’s reason', async () => {
    const { sendGatewayTruth, scorer, registry, letters } = setUp({ replicas: 1, replica: 0, maxPumps: 10 });
    const rows = ['g-a', 'g-b', 'g-c'].map((id) => encodeGatewayTruthRow(truthOf(id, 0)));
    rows[1] = (rows[1] as string).replace('"HEALTHY"', '"SLEEPY"');
    expect(sendGatewayTruth('gw-1', rows)).toBeUndefined();
    for (const id of ['g-a', 'g-b', 'g-c']) scorer.addPrediction(id, 0, 'HEALTHY', false);
    expect(scorer.scored).toBe(2);
    const [letter, ...more] = await letters();
    expect(more).toEqual([]);
    expect(letter?.reason).toBe('invalid_value');
    expect(letter?.topic).toBe(topics.gateway_groundtruth('gw-1'));
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/^invalid\{reason="invalid_value"\} 1$/m);
    expect(metrics).toMatch(/^messages\{kind="gateway_groundtruth"\} 1$/m);
  });

  it('dead-letters a gateway ground-truth message whose header is wrong, scoring none of it', async () => {
    const { onMessage, scorer, letters } = setUp({ replicas: 1, replica: 0, maxPumps: 10 });
    const payload = encodeGatewayGroundTruth('gw-1', 1_767_225_600_000, [
      encodeGatewayTruthRow(truthOf('g-a', 0)),
    ]);
    onMessage(topics.gateway_groundtruth('gw-2'), Buffer.from(payload));
    scorer.addPrediction('g-a', 0, 'HEALTHY', false);
    expect(scorer.scored).toBe(0);
    expect((await letters()).map((l) => l.reason)).toEqual(['gateway_mismatch']);
  });

  it('takes a gateway’s ground truth in the replica its gateway id hashes to, whatever its pumps’ ids hash to', async () => {
    const ours = ['gw-a', 'gw-b', 'gw-c', 'gw-d'].find((id) => ownsPump(id, 2, 0)) as string;
    const theirs = ['gw-a', 'gw-b', 'gw-c', 'gw-d'].find((id) => !ownsPump(id, 2, 0)) as string;
    const { sendGatewayTruth, scorer, registry } = setUp({ replicas: 2, replica: 0, maxPumps: 10 });
    const pumps = Array.from({ length: 8 }, (_, i) => `p${i}`);
    sendGatewayTruth(
      theirs,
      pumps.map((id) => encodeGatewayTruthRow(truthOf(id, 0))),
    );
    sendGatewayTruth(
      ours,
      pumps.map((id) => encodeGatewayTruthRow(truthOf(id, 1))),
    );
    for (const id of pumps) for (const seq of [0, 1]) scorer.addPrediction(id, seq, 'HEALTHY', false);
    expect(scorer.scored).toBe(pumps.length);
    expect(await registry.metrics()).toMatch(/^messages\{kind="gateway_groundtruth"\} 1$/m);
  });

  it('counts a pump of its gateway that also arrives on its own topic at another replica', async () => {
    const gateway = ['gw-a', 'gw-b', 'gw-c', 'gw-d'].find((id) => ownsPump(id, 2, 0)) as string;
    const pump = ['p0', 'p1', 'p2', 'p3'].find((id) => !ownsPump(id, 2, 0)) as string;
    const { send, sendGateway, registry, accepted } = setUp({ replicas: 2, replica: 0, maxPumps: 10 });
    await sendGateway(gateway, [encodeGatewayRow(telemetry(pump, 0))]);
    expect(send(telemetry(pump, 1))).toBeUndefined();
    expect(accepted).toEqual([`${pump}#0`]);
    expect(await registry.metrics()).toMatch(/^route_conflicts 1$/m);
  });
});
