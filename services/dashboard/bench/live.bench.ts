/**
 * The live path in-process, with 10,000 pumps at 1 Hz in mind: the MQTT message handler per prediction
 * (validation, fleet state, scoring), against validation alone; and the once-a-second fleet delta when
 * every tile changed.
 */
import { type Prediction, PUMP_STATES, predictionSchema, topics, validateMessage } from '@pdm/contract';
import { MetricsRegistry, RateLimitedLog } from '@pdm/service-kit';
import pino from 'pino';
import { FleetState } from '../src/fleet-state.ts';
import { LiveData, liveMetrics } from '../src/live.ts';
import { LiveScoring } from '../src/scoring.ts';
import { SseHub } from '../src/sse.ts';

export interface LiveFigures {
  readonly pumps: number;
  readonly messages: number;
  /** the dashboard's handler, per prediction message */
  readonly handlerUs: number;
  /** validateMessage alone, per message: the floor */
  readonly validationUs: number;
  /** building and serialising a delta in which every tile changed */
  readonly deltaMs: number;
  readonly deltaBytes: number;
}

function predictionPayloads(pumps: number, rounds: number): { topic: string; payload: Buffer }[] {
  const out: { topic: string; payload: Buffer }[] = [];
  const start = 1_767_225_600_000;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < pumps; i++) {
      const id = `pump-${String(i).padStart(5, '0')}`;
      const faulty = ((i * 7 + r) % 100) / 100;
      const p: Prediction = {
        pump_id: id,
        ts: start + r * 1000,
        seq: r,
        state: PUMP_STATES[(i + r) % 4] as Prediction['state'],
        raw_state: PUMP_STATES[(i + r + 1) % 4] as Prediction['state'],
        probabilities: { HEALTHY: 1 - faulty, WARNING: 0, FAULTY: faulty, BROKEN: 0 },
        vibration_rms: 2.5,
        iso_zone: 'B',
        model_version: '2026-12-01T23:35:58.370Z#91630af6',
        latency_ms: 1.25,
      };
      out.push({ topic: topics.predictions(id), payload: Buffer.from(JSON.stringify(p)) });
    }
  }
  return out;
}

export function benchLive(pumps = 10_000, rounds = 20): LiveFigures {
  const messages = predictionPayloads(pumps, rounds);
  const silent = pino({ level: 'silent' });
  const registry = new MetricsRegistry();
  const fleet = new FleetState({ staleAfterMs: 30_000, offlineAfterMs: 300_000, maxPumps: 50_000 });
  const hub = new SseHub({ heartbeatMs: 60_000, maxBufferedBytes: 1 << 22 });
  const live = new LiveData({
    fleet,
    scoring: new LiveScoring(),
    hub,
    metrics: liveMetrics(registry),
    log: new RateLimitedLog(silent),
  });

  // Warm-up on the first round, so that the JIT has seen both paths.
  const warm = messages.slice(0, pumps);
  for (const m of warm) validateMessage(m.topic, m.payload, { predictions: predictionSchema });
  for (const m of warm) live.handle(m.topic, m.payload);

  let started = performance.now();
  for (const m of messages) validateMessage(m.topic, m.payload, { predictions: predictionSchema });
  const validationUs = ((performance.now() - started) * 1000) / messages.length;

  started = performance.now();
  for (const m of messages) live.handle(m.topic, m.payload);
  const handlerUs = ((performance.now() - started) * 1000) / messages.length;

  // Every tile changed since the last delta: the largest a second's event gets.
  fleet.takeDelta(0);
  for (const m of messages.slice(0, pumps)) live.handle(m.topic, m.payload);
  const now = Date.now();
  const fresh = messages.slice(-pumps).map((m) => {
    const p = JSON.parse(m.payload.toString()) as Prediction;
    return { ...p, ts: p.ts + 3_600_000, state: 'BROKEN' as const };
  });
  for (const p of fresh) fleet.apply(p, now);
  started = performance.now();
  const delta = JSON.stringify(fleet.takeDelta(now));
  const deltaMs = performance.now() - started;
  hub.close();
  return { pumps, messages: messages.length, handlerUs, validationUs, deltaMs, deltaBytes: delta.length };
}
