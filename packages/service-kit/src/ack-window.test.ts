import { describe, expect, it } from 'vitest';
import { AckWindow } from './ack-window.ts';

/** A connection whose socket can be swapped, recording the PUBACKs written on each socket. */
function connection() {
  const written: Array<{ id: number; socket: string }> = [];
  const target = { stream: { name: 'first' } as object, connected: true };
  const write = (id: number, stream: object) =>
    written.push({ id, socket: (stream as { name: string }).name });
  return { target, written, write };
}

function deferred() {
  let resolve: () => void = () => {};
  let reject: (err: Error) => void = () => {};
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('AckWindow', () => {
  it('sends PUBACKs in arrival order, however the handlers finish', async () => {
    const { target, written, write } = connection();
    const acks = new AckWindow(10, target, write);
    const [a, b, c] = [deferred(), deferred(), deferred()];
    acks.track(1, a.promise);
    acks.track(2, b.promise);
    acks.track(3, c.promise);
    c.resolve();
    b.resolve();
    await tick();
    expect(written).toEqual([]);
    a.resolve();
    await tick();
    expect(written.map((w) => w.id)).toEqual([1, 2, 3]);
    expect(acks.pending).toBe(0);
  });

  it('acknowledges a message that is already safe at once, and one behind a pending one only after it', async () => {
    const { target, written, write } = connection();
    const acks = new AckWindow(10, target, write);
    acks.track(1, undefined);
    expect(written.map((w) => w.id)).toEqual([1]);
    const slow = deferred();
    acks.track(2, slow.promise);
    acks.track(3, undefined);
    expect(written.map((w) => w.id)).toEqual([1]);
    slow.resolve();
    await tick();
    expect(written.map((w) => w.id)).toEqual([1, 2, 3]);
  });

  it('leaves a message whose handler failed unacknowledged, without holding back the ones after it', async () => {
    const { target, written, write } = connection();
    const acks = new AckWindow(10, target, write);
    const failed = deferred();
    acks.track(1, failed.promise);
    acks.track(2, undefined);
    failed.reject(new Error('disk full'));
    await tick();
    expect(written.map((w) => w.id)).toEqual([2]);
    expect(acks.pending).toBe(0);
  });

  it('never sends a PUBACK on a later socket than the one its message came on', async () => {
    const { target, written, write } = connection();
    const acks = new AckWindow(10, target, write);
    const old = deferred();
    acks.track(7, old.promise);
    // The connection drops and comes back: the broker will redeliver message 7, and packet id 7 on the
    // new socket may be another message by then.
    target.stream = { name: 'second' };
    acks.track(7, undefined);
    old.resolve();
    await tick();
    expect(written).toEqual([{ id: 7, socket: 'second' }]);
    expect(acks.pending).toBe(0);
  });

  it('sends nothing while disconnected', async () => {
    const { target, written, write } = connection();
    const acks = new AckWindow(10, target, write);
    const pending = deferred();
    acks.track(1, pending.promise);
    target.connected = false;
    pending.resolve();
    await tick();
    expect(written).toEqual([]);
  });

  it('holds the next read back while `limit` messages wait, and lets it go as they are acknowledged', async () => {
    const { target, write } = connection();
    const acks = new AckWindow(2, target, write);
    const reads: number[] = [];
    const [a, b] = [deferred(), deferred()];
    acks.track(1, a.promise);
    acks.next(() => reads.push(1));
    acks.track(2, b.promise);
    acks.next(() => reads.push(2));
    expect(reads).toEqual([1]);
    a.resolve();
    await tick();
    expect(reads).toEqual([1, 2]);
  });

  it('lets a held read go on unblock(), for a shutdown that only drops what comes in', () => {
    const { target, write } = connection();
    const acks = new AckWindow(1, target, write);
    const reads: number[] = [];
    acks.track(1, deferred().promise);
    acks.next(() => reads.push(1));
    expect(reads).toEqual([]);
    acks.unblock();
    expect(reads).toEqual([1]);
  });
});
