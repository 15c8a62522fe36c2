/** A training fleet: every pump from new to failure and a little past it, interleaved in virtual time. */

import { encodeTrainingSample, type PumpState, type TrainingSample, topics } from '@pdm/contract';
import { Rng } from '@pdm/random';
import { type ChaosRates, malformedPayload, PumpChaos } from './chaos.ts';
import type { LifetimeModel } from './lifecycle.ts';
import { formatPumpId, trainingMessage } from './messages.ts';
import { PumpTwin } from './pump.ts';

export interface TrainingFleetOptions {
  readonly pumps: number;
  readonly seed: number;
  readonly lifetime: LifetimeModel;
  readonly intervalS: number;
  readonly postFailureSamples: number;
  readonly startMs: number;
  readonly idPrefix: string;
  /**
   * Sensor chaos on top of the physics, as in production: a model trained on it learns that a glitch or a
   * heatwave is not a failure. The labels stay the truth. undefined: none.
   */
  readonly chaos?: ChaosRates | undefined;
  /**
   * Lifecycles per pump (default 1): after its post-failure samples a pump is repaired and starts again,
   * with seq and time running on, as the production simulator's pumps do.
   */
  readonly lifecycles?: number | undefined;
}

export interface TrainingMessage {
  readonly topic: string;
  readonly sample: TrainingSample;
  readonly state: PumpState;
  /** the wire payload; undefined when chaos dropped the sample, garbage when it corrupted it */
  readonly payload: string | undefined;
}

// The same stream number as the production simulator's chaos, apart from the physics' own streams.
const STREAM_CHAOS = 100;

interface ActivePump {
  readonly id: string;
  readonly topic: string;
  readonly twin: PumpTwin;
  readonly chaos: PumpChaos | undefined;
  readonly chaosRng: Rng;
  /** samples of the current lifecycle: up to its failure, plus the post-failure ones */
  samples: number;
  /** samples published in the current lifecycle */
  step: number;
  lifecyclesLeft: number;
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
    const samples = samplesOf(twin, intervalH, options.postFailureSamples);
    const chaosRng = new Rng(options.seed, i, STREAM_CHAOS);
    const chaos = options.chaos ? new PumpChaos(chaosRng, options.chaos) : undefined;
    const lifecyclesLeft = (options.lifecycles ?? 1) - 1;
    active.push({ id, topic: topics.training(id), twin, samples, step: 0, lifecyclesLeft, chaos, chaosRng });
  }
  for (let step = 0; active.length > 0; step++) {
    const ts = Math.round(options.startMs + step * intervalMs);
    for (const pump of active) {
      const reading = pump.twin.sample(intervalH);
      const outcome = pump.chaos?.apply(reading);
      const sample = trainingMessage(pump.id, ts, step, reading);
      let payload: string | undefined;
      if (!outcome?.drop) {
        payload = encodeTrainingSample(sample);
        if (outcome?.malformed) payload = malformedPayload(pump.chaosRng, payload);
      }
      yield { topic: pump.topic, sample, state: reading.state, payload };
    }
    for (const pump of active) {
      pump.step += 1;
      if (pump.step === pump.samples && pump.lifecyclesLeft > 0) {
        pump.twin.renew();
        pump.samples = samplesOf(pump.twin, intervalH, options.postFailureSamples);
        pump.step = 0;
        pump.lifecyclesLeft -= 1;
      }
    }
    active = active.filter((p) => p.step < p.samples);
  }
}

function samplesOf(twin: PumpTwin, intervalH: number, postFailureSamples: number): number {
  return Math.ceil(twin.lifecycle.ttfH / intervalH) + postFailureSamples;
}
