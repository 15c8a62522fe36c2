/** A training fleet: every pump from new to failure and a little past it, interleaved in virtual time. */
import { formatPumpId, type LifetimeModel, PumpTwin, trainingMessage } from '@pdm/pump-physics';
import { type PumpState, type TrainingSample, topics } from '@pdm/telemetry';

export interface TrainingFleetOptions {
  readonly pumps: number;
  readonly seed: number;
  readonly lifetime: LifetimeModel;
  readonly intervalS: number;
  readonly postFailureSamples: number;
  readonly startMs: number;
  readonly idPrefix: string;
}

export interface TrainingMessage {
  readonly topic: string;
  readonly sample: TrainingSample;
  readonly state: PumpState;
}

interface ActivePump {
  readonly id: string;
  readonly topic: string;
  readonly twin: PumpTwin;
  /** samples this pump publishes: up to its failure, plus the post-failure ones */
  readonly samples: number;
}

/**
 * Yields samples step by step across the fleet (every pump's sample k before any pump's k + 1),
 * the order a real fleet's messages arrive in. Each pump's own samples are the same whatever the fleet size.
 */
export function* trainingFleet(options: TrainingFleetOptions): Generator<TrainingMessage> {
  const intervalH = options.intervalS / 3600;
  const intervalMs = options.intervalS * 1000;
  let active: ActivePump[] = [];
  for (let i = 0; i < options.pumps; i++) {
    const twin = new PumpTwin({ seed: options.seed, index: i, lifetime: options.lifetime });
    const id = formatPumpId(options.idPrefix, i);
    const samples = Math.ceil(twin.lifecycle.ttfH / intervalH) + options.postFailureSamples;
    active.push({ id, topic: topics.training(id), twin, samples });
  }
  for (let step = 0; active.length > 0; step++) {
    const ts = Math.round(options.startMs + step * intervalMs);
    for (const pump of active) {
      const reading = pump.twin.sample(intervalH);
      yield { topic: pump.topic, sample: trainingMessage(pump.id, ts, step, reading), state: reading.state };
    }
    active = active.filter((p) => p.samples > step + 1);
  }
}
