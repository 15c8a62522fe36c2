/**
 * The page's side of the live data: it starts the SSE worker (live-worker.ts), dispatches its events to the
 * views that listen, tells it which pump to follow, and tells the header whether the page is live.
 */
import type { CompactDelta } from './fleet/compact-delta.ts';
import type { Connection, FromWorker, PlainEvents, ToWorker } from './live-protocol.ts';

export type { Connection } from './live-protocol.ts';

export interface LiveEvents extends PlainEvents {
  readonly fleet: CompactDelta;
}
export type LiveEventName = keyof LiveEvents;

type Handler<K extends LiveEventName> = (data: LiveEvents[K]) => void;

export class LiveClient {
  private worker: Worker | undefined;
  private pump: string | undefined;
  private state: Connection = 'connecting';
  /** pump ids by the worker's dictionary index: every id its fleet deltas ever named */
  readonly pumpIds: string[] = [];
  private readonly handlers = new Map<LiveEventName, Set<Handler<LiveEventName>>>();
  private readonly connectionWatchers = new Set<(state: Connection) => void>();
  /** called after a reconnect, so that a view can fetch what it missed */
  private readonly reconnectWatchers = new Set<() => void>();

  start(): void {
    const worker = new Worker(new URL('./live-worker.js', import.meta.url), { type: 'module' });
    this.worker = worker;
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    worker.onerror = (event) => {
      console.error('the live data worker failed', event.message);
      this.setState('disconnected');
    };
    if (this.pump !== undefined) this.send({ type: 'follow', pump: this.pump });
  }

  /** Streams one pump's `sample` and `prediction` events too (undefined: none). */
  follow(pump: string | undefined): void {
    if (pump === this.pump) return;
    this.pump = pump;
    this.send({ type: 'follow', pump });
  }

  on<K extends LiveEventName>(name: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
    }
    set.add(handler as Handler<LiveEventName>);
    return () => set.delete(handler as Handler<LiveEventName>);
  }

  onConnection(watcher: (state: Connection) => void): () => void {
    this.connectionWatchers.add(watcher);
    watcher(this.state);
    return () => this.connectionWatchers.delete(watcher);
  }

  onReconnect(watcher: () => void): () => void {
    this.reconnectWatchers.add(watcher);
    return () => this.reconnectWatchers.delete(watcher);
  }

  private send(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'connection':
        this.setState(message.state);
        return;
      case 'reconnected':
        for (const watcher of this.reconnectWatchers) watcher();
        return;
      case 'fleet': {
        const { delta } = message;
        // Every id is kept, also with no fleet view open: a later one applies deltas by these indices.
        delta.newIds.forEach((id, i) => {
          this.pumpIds[delta.firstNewIndex + i] = id;
        });
        this.dispatch('fleet', delta);
        return;
      }
      case 'event':
        this.dispatch(message.name, message.data);
        return;
    }
  }

  private dispatch<K extends LiveEventName>(name: K, data: LiveEvents[K]): void {
    for (const handler of this.handlers.get(name) ?? []) (handler as Handler<K>)(data);
  }

  private setState(state: Connection): void {
    if (state === this.state) return;
    this.state = state;
    for (const watcher of this.connectionWatchers) watcher(state);
  }
}
