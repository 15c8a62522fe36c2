/**
 * Server-Sent Events to the browsers: each event is serialised once and written to every client that
 * wants it. A comment every few seconds keeps proxies from closing a quiet stream; a client that does
 * not read (its socket buffer past maxBufferedBytes) is dropped, not buffered for without bound.
 */
import type { ServerResponse } from 'node:http';

export interface SseSettings {
  readonly heartbeatMs: number;
  /** bytes waiting in a client's socket buffer beyond which it is dropped */
  readonly maxBufferedBytes: number;
}

export interface SseHooks {
  readonly onConnect?: () => void;
  readonly onDisconnect?: () => void;
  /** a client dropped for not reading */
  readonly onDrop?: () => void;
}

interface Client {
  readonly res: ServerResponse;
  /** the pump whose samples and predictions it wants, if any */
  readonly pump: string | undefined;
}

/** One event in the wire format. `data` is JSON, so it holds no newline. */
export function sseEvent(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}

const HEARTBEAT = ': keep-alive\n\n';

export class SseHub {
  readonly #clients = new Set<Client>();
  /** clients by the pump they watch, so a sample reaches its few watchers without a scan */
  readonly #byPump = new Map<string, Set<Client>>();
  readonly #settings: SseSettings;
  readonly #hooks: SseHooks;
  readonly #heartbeat: NodeJS.Timeout;
  #closed = false;

  constructor(settings: SseSettings, hooks: SseHooks = {}) {
    this.#settings = settings;
    this.#hooks = hooks;
    this.#heartbeat = setInterval(() => this.#writeAll(HEARTBEAT), settings.heartbeatMs);
    this.#heartbeat.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Whether any client watches this pump: samples of other pumps are not even parsed. */
  watches(pumpId: string): boolean {
    return this.#byPump.has(pumpId);
  }

  /**
   * Takes over a response whose headers the caller has not sent yet; `first` is written at once (e.g. a
   * full fleet event). The client stays until it goes away, is dropped, or the hub closes.
   */
  add(
    res: ServerResponse,
    headers: Readonly<Record<string, string>>,
    pump: string | undefined,
    first = '',
  ): void {
    if (this.#closed) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('shutting down\n');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx and friends would otherwise hold events back to fill their buffers.
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const client: Client = { res, pump };
    this.#clients.add(client);
    if (pump !== undefined) {
      const watchers = this.#byPump.get(pump);
      if (watchers) watchers.add(client);
      else this.#byPump.set(pump, new Set([client]));
    }
    res.once('close', () => this.#remove(client));
    this.#hooks.onConnect?.();
    // The retry hint tells EventSource how soon to reconnect after the server went away.
    this.#write(client, `retry: 2000\n${first === '' ? HEARTBEAT : first}`);
  }

  /** An event for every client. */
  broadcast(event: string, data: string): void {
    if (this.#clients.size === 0) return;
    this.#writeAll(sseEvent(event, data));
  }

  /** An event for the clients watching `pumpId`. */
  toWatchers(pumpId: string, event: string, data: string): void {
    const watchers = this.#byPump.get(pumpId);
    if (!watchers) return;
    const text = sseEvent(event, data);
    for (const client of watchers) this.#write(client, text);
  }

  /** Ends every stream, so that they cannot hold the server's shutdown; later clients get a 503. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const client of [...this.#clients]) {
      client.res.end();
      this.#remove(client);
    }
  }

  #writeAll(text: string): void {
    for (const client of this.#clients) this.#write(client, text);
  }

  #write(client: Client, text: string): void {
    const { res } = client;
    if (res.writableLength > this.#settings.maxBufferedBytes) {
      this.#hooks.onDrop?.();
      res.destroy();
      this.#remove(client);
      return;
    }
    res.write(text);
  }

  #remove(client: Client): void {
    if (!this.#clients.delete(client)) return;
    if (client.pump !== undefined) {
      const watchers = this.#byPump.get(client.pump);
      watchers?.delete(client);
      if (watchers?.size === 0) this.#byPump.delete(client.pump);
    }
    this.#hooks.onDisconnect?.();
  }
}
