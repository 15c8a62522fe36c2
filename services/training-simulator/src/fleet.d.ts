/** A training fleet: every pump from new to failure and a little past it, interleaved in virtual time. */
import { type ChaosRates, type LifetimeModel } from '@pdm/pump-physics';
import { type PumpState, type TrainingSample } from '@pdm/telemetry';
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
/**
 * Yields samples step by step across the fleet (every pump's sample k before any pump's k + 1),
 * the order a real fleet's messages arrive in. Each pump's own samples are the same whatever the fleet size.
 */
export declare function trainingFleet(options: TrainingFleetOptions): Generator<TrainingMessage>;
