/** Wires the training fleet to a sink and reports what was sent. */

import { PUMP_STATES, type PumpState } from '@pdm/contract';
import { type TrainingFleetOptions, trainingFleet } from '@pdm/pump-physics';
import type { Logger, MessageSink } from '@pdm/service-kit';

export interface TrainingSummary {
  readonly pumps: number;
  readonly samples: number;
  readonly samplesPerState: Record<PumpState, number>;
  /** samples a chaos dropout kept from publishing */
  readonly dropped: number;
  /** broker PUBACKs, or lines written with --stdout */
  readonly acknowledged: number;
  readonly failed: number;
  readonly stoppedEarly: boolean;
  readonly seconds: number;
  readonly messagesPerSecond: number;
}

export interface TrainingSimulator {
  /** runs the whole fleet; resolves once every message is acknowledged */
  start(): Promise<TrainingSummary>;
  /** ends the run after the current message; start() then resolves with what was sent */
  stop(): void;
}

export function createTrainingSimulator(
  fleet: TrainingFleetOptions,
  sink: MessageSink,
  logger: Logger,
): TrainingSimulator {
  let stopping = false;
  return {
    stop() {
      stopping = true;
    },
    async start() {
      const started = performance.now();
      const samplesPerState = Object.fromEntries(PUMP_STATES.map((s) => [s, 0])) as Record<PumpState, number>;
      let samples = 0;
      let dropped = 0;
      logger.info(
        {
          pumps: fleet.pumps,
          seed: fleet.seed,
          lifetime: fleet.lifetime,
          intervalS: fleet.intervalS,
          postFailureSamples: fleet.postFailureSamples,
        },
        'training run started',
      );
      for (const message of trainingFleet(fleet)) {
        if (stopping) break;
        samples += 1;
        samplesPerState[message.state] += 1;
        if (message.payload === undefined) {
          dropped += 1;
          continue;
        }
        const wait = sink.send(message.topic, message.payload);
        if (wait) await wait;
      }
      await sink.flush();
      const seconds = (performance.now() - started) / 1000;
      return {
        pumps: fleet.pumps,
        samples,
        samplesPerState,
        dropped,
        acknowledged: sink.confirmed,
        failed: sink.failed,
        stoppedEarly: stopping,
        seconds: Math.round(seconds * 1000) / 1000,
        messagesPerSecond: Math.round(samples / seconds),
      };
    },
  };
}
