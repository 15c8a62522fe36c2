import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseHub } from './sse.ts';
import { openEventStream } from './testing/event-stream.ts';

describe('SseHub', () => {
  let server: Server | undefined;
  let hub: SseHub | undefined;
  afterEach(async () => {
    hub?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** An HTTP server whose every request becomes a client of a new hub. */
  async function serve(settings: { heartbeatMs: number; maxBufferedBytes: number }, onDrop = () => {}) {
    const h = new SseHub(settings, { onDrop });
    hub = h;
    const s = createServer((req, res) => {
      const pump = new URL(req.url ?? '/', 'http://x').searchParams.get('pump') ?? undefined;
      h.add(res, { 'x-test': 'yes' }, pump, 'event: hello\ndata: {}\n\n');
    });
    server = s;
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return { hub: h, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/` };
  }

  it('sends the first event at once, then broadcasts to everyone and pump events to that pump’s watchers', async () => {
    const { hub, url } = await serve({ heartbeatMs: 60_000, maxBufferedBytes: 1 << 20 });
    const all = await openEventStream(url);
    const watcher = await openEventStream(`${url}?pump=p1`);
    try {
      expect(all.headers.get('x-test')).toBe('yes');
      await all.next('hello');
      await watcher.next('hello');
      expect(hub.watches('p1')).toBe(true);
      expect(hub.watches('p2')).toBe(false);
      hub.toWatchers('p1', 'sample', '{"n":1}');
      hub.toWatchers('p2', 'sample', '{"n":2}');
      hub.broadcast('alert', '{"n":3}');
      expect(await watcher.next('sample')).toEqual({ n: 1 });
      await watcher.next('alert');
      await all.next('alert');
      expect(all.events.map((e) => e.event)).toEqual(['hello', 'alert']);
    } finally {
      all.close();
      watcher.close();
    }
  });

  it('drops a client that does not read once its buffer passes the bound, and keeps serving the others', async () => {
    let drops = 0;
    const { hub, url } = await serve({ heartbeatMs: 60_000, maxBufferedBytes: 256 * 1024 }, () => {
      drops += 1;
    });
    // A client that sends its request and never reads a byte.
    const { port } = new URL(url);
    const stuck = connect(Number(port), '127.0.0.1');
    stuck.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    stuck.pause();
    const reader = await openEventStream(url);
    try {
      await reader.next('hello');
      while (hub.size < 2) await new Promise((r) => setTimeout(r, 10));
      const big = JSON.stringify({ pad: 'x'.repeat(512 * 1024) });
      for (let i = 0; i < 200 && drops === 0; i++) {
        hub.broadcast('fleet', big);
        // The reader takes each event in before the next, as a browser that keeps up does.
        while (reader.events.length < i + 2) await new Promise((r) => setImmediate(r));
      }
      expect(drops).toBe(1);
      expect(hub.size).toBe(1);
      hub.broadcast('alert', '{}');
      await reader.next('alert');
    } finally {
      stuck.destroy();
      reader.close();
    }
  });

  it('keeps a quiet stream open with comments, and ends every stream on close', async () => {
    const { hub, url } = await serve({ heartbeatMs: 50, maxBufferedBytes: 1 << 20 });
    const response = await fetch(url);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes(': keep-alive')) {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
    }
    hub.close();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    expect(hub.size).toBe(0);
    // Later requests are told it is shutting down.
    expect((await fetch(url)).status).toBe(503);
  });
});
