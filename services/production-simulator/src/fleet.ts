/** The production fleet: each pump's twin, sequence counter, repairs and chaos. */

import {
  type ChaosKind,
  encodeGatewayRow,
  encodeGatewayTruthRow,
  encodeTelemetry,
  topics,
} from '@pdm/contract';
import {
  type ChaosOutcome,
  type ChaosRates,
  formatPumpId,
  groundTruthMessage,
  malformedPayload,
  malformedRow,
  PumpChaos,
  PumpTwin,
  type Reading,
  Rng,
  telemetryMessage,
  type WeibullParams,
} from '@pdm/pump-physics';

export interface FleetOptions {
  readonly pumps: number;
  readonly seed: number;
  /** time to failure, η in hours: the mode's (modeLifetime), as the training simulator's --mode draws it */
  readonly lifetime: WeibullParams;
  readonly repairDowntimeS: number;
  readonly intervalS: number;
  readonly idPrefix: string;
  /** undefined: no chaos */
  readonly chaos: ChaosRates | undefined;
}

/** What one pump emits for one sample. */
export interface PumpOutput {
  readonly telemetryTopic: string;
  /** undefined when chaos dropped the sample */
  readonly telemetry: string | undefined;
  readonly truthTopic: string;
  readonly truth: string;
  readonly chaos: readonly ChaosKind[];
}

/** What one pump emits for one sample when a gateway sends its telemetry. */
export interface PumpRow {
  /** its row of the gateway message; undefined when chaos dropped the sample */
  readonly row: string | undefined;
  /** its row of the gateway's ground-truth message (see encodeGatewayTruthRow), sent for every sample */
  readonly truthRow: string;
  readonly chaos: readonly ChaosKind[];
}

// A stream per purpose and pump, apart from the physics' own, so chaos never shifts the physics.
const STREAM_CHAOS = 100;

class ProductionPump {
  readonly id: string;
  readonly telemetryTopic: string;
  readonly truthTopic: string;
  readonly twin: PumpTwin;
  readonly chaos: PumpChaos | undefined;
  readonly chaosRng: Rng;
  seq = 0;

  constructor(options: FleetOptions, index: number) {
    this.id = formatPumpId(options.idPrefix, index);
    this.telemetryTopic = topics.telemetry(this.id);
    this.truthTopic = topics.groundtruth(this.id);
    this.twin = new PumpTwin({ seed: options.seed, index, lifetime: options.lifetime });
    this.chaosRng = new Rng(options.seed, index, STREAM_CHAOS);
    this.chaos = options.chaos ? new PumpChaos(this.chaosRng, options.chaos) : undefined;
  }
}

export class ProductionFleet {
  readonly #pumps: ProductionPump[];
  readonly #intervalH: number;
  readonly #downtimeH: number;

  constructor(options: FleetOptions) {
    this.#pumps = Array.from({ length: options.pumps }, (_, i) => new ProductionPump(options, i));
    this.#intervalH = options.intervalS / 3600;
    this.#downtimeH = options.repairDowntimeS / 3600;
  }

  get size(): number {
    return this.#pumps.length;
  }

  pumpId(index: number): string {
    return (this.#pumps[index] as ProductionPump).id;
  }

  /** The next sample of pump `index`, stamped `ts`, for its own telemetry topic. */
  next(index: number, ts: number): PumpOutput {
    const { pump, seq, reading, outcome } = this.#advance(index);
    let telemetry: string | undefined;
    if (!outcome?.drop) {
      telemetry = encodeTelemetry(telemetryMessage(pump.id, ts, seq, reading));
      if (outcome?.malformed) telemetry = malformedPayload(pump.chaosRng, telemetry);
    }
    const { truth, chaos } = this.#truth(pump, ts, seq, reading, outcome);
    return {
      telemetryTopic: pump.telemetryTopic,
      telemetry,
      truthTopic: pump.truthTopic,
      truth: JSON.stringify(truth),
      chaos,
    };
  }

  /** The next sample of pump `index`, stamped `ts`, as its row of a gateway message (see encodeGatewayRow). */
  nextRow(index: number, ts: number): PumpRow {
    const { pump, seq, reading, outcome } = this.#advance(index);
    let row: string | undefined;
    if (!outcome?.drop) {
      row = encodeGatewayRow(telemetryMessage(pump.id, ts, seq, reading));
      if (outcome?.malformed) row = malformedRow(pump.chaosRng, row);
    }
    const { truth, chaos } = this.#truth(pump, ts, seq, reading, outcome);
    return { row, truthRow: encodeGatewayTruthRow(truth), chaos };
  }

  /** One step of a pump's twin and chaos. Repairs a pump whose downtime is over. */
  #advance(index: number) {
    const pump = this.#pumps[index] as ProductionPump;
    const { twin } = pump;
    if (twin.ageH >= twin.lifecycle.ttfH + this.#downtimeH) twin.renew();
    const reading = twin.sample(this.#intervalH);
    const seq = pump.seq++;
    const outcome = pump.chaos?.apply(reading);
    return { pump, seq, reading, outcome };
  }

  #truth(pump: ProductionPump, ts: number, seq: number, reading: Reading, outcome: ChaosOutcome | undefined) {
    const chaos = outcome?.active ?? [];
    const lifecycle = pump.twin.lifecycle.index;
    return { truth: groundTruthMessage(pump.id, ts, seq, reading, lifecycle, chaos), chaos };
  }
}
