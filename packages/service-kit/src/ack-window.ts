/**
 * Pipelined, ordered acknowledgements for one MQTT connection. Messages are handed to the handler as
 * they arrive (no waiting for the previous one), each PUBACK goes out once its handler has settled
 * and every earlier message's PUBACK has gone out, and at most `limit` messages wait unacknowledged.
 *
 * A PUBACK is written only on the socket its PUBLISH arrived on. After a reconnect the broker
 * redelivers whatever we had not acknowledged; a late PUBACK sent on the new socket could carry a
 * packet id that the broker has since given to another message, and acknowledge that one unread.
 */
export interface AckTarget {
  /** the connection's current socket; PUBACKs for another socket are dropped */
  readonly stream: object;
  readonly connected: boolean;
}

export type WritePuback = (messageId: number, stream: object) => void;

interface Entry {
  readonly messageId: number;
  readonly stream: object;
  /** undefined while the handler runs; true to acknowledge, false to leave it for redelivery */
  ack: boolean | undefined;
}

export class AckWindow {
  /** per socket: the entries in arrival order, so that PUBACKs leave in that order */
  readonly #queues = new Map<object, Entry[]>();
  #pending = 0;
  #blocked: (() => void) | undefined;
  readonly #limit: number;
  readonly #target: AckTarget;
  readonly #write: WritePuback;
  readonly #cork: (stream: object, writes: () => void) => void;

  constructor(
    limit: number,
    target: AckTarget,
    write: WritePuback,
    cork: (stream: object, writes: () => void) => void = (_, writes) => writes(),
  ) {
    this.#limit = Math.max(1, limit);
    this.#target = target;
    this.#write = write;
    this.#cork = cork;
  }

  /** messages handed over whose PUBACK has not gone out yet */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Tracks a QoS 1 message. `settled` resolves (acknowledge) or rejects (leave unacknowledged, the
   * broker redelivers it on the next connection); undefined means it is already safe.
   */
  track(messageId: number, settled: Promise<void> | undefined): void {
    const stream = this.#target.stream;
    let queue = this.#queues.get(stream);
    if (!queue) {
      queue = [];
      this.#queues.set(stream, queue);
    }
    const entry: Entry = { messageId, stream, ack: settled === undefined ? true : undefined };
    queue.push(entry);
    this.#pending += 1;
    if (settled === undefined) {
      if (queue.length === 1) this.#release(stream, queue);
      return;
    }
    settled.then(
      () => this.#settle(entry, true),
      () => this.#settle(entry, false),
    );
  }

  /**
   * Lets the connection read its next packet now, or once fewer than `limit` messages wait. Holding
   * the read back is the backpressure: the broker stops sending once its in-flight window is full.
   */
  next(read: () => void): void {
    if (this.#pending < this.#limit) read();
    else this.#blocked = read;
  }

  /** Stops holding reads back, e.g. when intake stops and incoming messages are only dropped. */
  unblock(): void {
    const read = this.#blocked;
    this.#blocked = undefined;
    read?.();
  }

  #settle(entry: Entry, ack: boolean): void {
    entry.ack = ack;
    const queue = this.#queues.get(entry.stream);
    if (queue && queue[0] === entry) this.#release(entry.stream, queue);
  }

  /** Sends the PUBACKs at the head of a socket's queue that are ready, in one write where possible. */
  #release(stream: object, queue: Entry[]): void {
    let ready = 0;
    while (ready < queue.length && (queue[ready] as Entry).ack !== undefined) ready += 1;
    if (ready === 0) return;
    const done = queue.splice(0, ready);
    const live = stream === this.#target.stream && this.#target.connected;
    if (live) {
      this.#cork(stream, () => {
        for (const entry of done) if (entry.ack) this.#write(entry.messageId, stream);
      });
    }
    if (queue.length === 0) this.#queues.delete(stream);
    this.#pending -= done.length;
    if (this.#blocked && this.#pending < this.#limit) this.unblock();
  }
}
