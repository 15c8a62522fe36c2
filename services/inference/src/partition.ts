/**
 * Static partitioning for scale-out. Replica i of N handles exactly the messages whose key hashes to i:
 * a per-pump topic's key is its pump id, a gateway topic's is its gateway id. Every replica subscribes to
 * the whole stream and drops the other replicas' messages by topic, before parsing them.
 *
 * A gateway's pumps arrive together, in one message, so its message goes whole to one replica, and each
 * of its pumps' state (feature window, smoothing, alert debounce) lives there. That holds as long as each
 * pump arrives one way only: on its own topic, or in one gateway. A pump that arrived both ways would have
 * state in two replicas (its own topic's and its gateway's); the replica holding it through a gateway sees
 * its own topic go by, and counts and reports that (see PumpRoutes). With one replica there is nothing to
 * split, and a pump may arrive any way: the feature window skips the samples it already has.
 */
import type { ParsedTopic } from '@pdm/contract';

/** FNV-1a, 32 bit: stable across processes, platforms and Node versions. */
export function pumpHash(pumpId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < pumpId.length; i++) {
    h ^= pumpId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Whether replica `replica` of `replicas` owns key `id` (a pump id, or a gateway id for its pumps). */
export function ownsPump(id: string, replicas: number, replica: number): boolean {
  return replicas <= 1 || pumpHash(id) % replicas === replica;
}

/**
 * The pumps this replica takes from its gateways, and their gateway. Only kept with more than one
 * replica, where it answers what the hash of a topic cannot: does a pump of ours also arrive on its own
 * topic, at another replica?
 */
export class PumpRoutes {
  readonly #gatewayOf = new Map<string, string>();
  readonly #replicas: number;
  readonly #replica: number;

  constructor(replicas: number, replica: number) {
    this.#replicas = replicas;
    this.#replica = replica;
  }

  /** Whether this replica takes the telemetry of this topic (see the module comment). */
  owns(parsed: ParsedTopic): boolean {
    return ownsPump(parsed.id, this.#replicas, this.#replica);
  }

  /** Notes that `pumpId` came in gateway `gatewayId`'s message, which this replica owns. */
  viaGateway(pumpId: string, gatewayId: string): void {
    if (this.#replicas > 1 && this.#gatewayOf.get(pumpId) !== gatewayId)
      this.#gatewayOf.set(pumpId, gatewayId);
  }

  /**
   * For a per-pump telemetry topic another replica owns: the gateway this replica takes the same pump
   * from, if any. Then two replicas keep the pump's state.
   */
  conflict(parsed: ParsedTopic): string | undefined {
    if (this.#gatewayOf.size === 0 || parsed.kind !== 'telemetry') return undefined;
    return this.#gatewayOf.get(parsed.id);
  }

  forget(pumpIds: readonly string[]): void {
    for (const id of pumpIds) this.#gatewayOf.delete(id);
  }
}
