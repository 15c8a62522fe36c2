/**
 * Static partitioning for scale-out. Replica i of N handles exactly the pumps whose id hashes to i, so
 * each pump's stream, and its rolling window, lives in one replica. Every replica subscribes to the whole
 * stream and drops the other pumps' messages by topic, before parsing them.
 */

/** FNV-1a, 32 bit: stable across processes, platforms and Node versions. */
export function pumpHash(pumpId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < pumpId.length; i++) {
    h ^= pumpId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function ownsPump(pumpId: string, replicas: number, replica: number): boolean {
  return replicas <= 1 || pumpHash(pumpId) % replicas === replica;
}
