/**
 * The page's one Server-Sent Events connection (GET /api/events): it dispatches each event to the views that
 * listen, follows one pump's samples and predictions while the pump view is live, reconnects after an error,
 * and tells the header whether the page is live.
 */
import type { AlertRow, FleetDelta, PredictionRow, SeriesPoint, ServiceStatus } from '../src/api/contract.ts';
import { apiUrl } from './api.ts';

export interface LiveEvents {
  readonly fleet: FleetDelta;
  readonly alert: AlertRow;
  readonly status: ServiceStatus;
  readonly sample: SeriesPoint;
  readonly prediction: PredictionRow;
}
export type LiveEventName = keyof LiveEvents;
const EVENT_NAMES: readonly LiveEventName[] = ['fleet', 'alert', 'status', 'sample', 'prediction'];

export type Connection = 'connecting' | 'live' | 'disconnected';

/** Longest wait before reconnecting after the browser gave up on the stream. */
const MAX_RETRY_MS = 10_000;

type Handler<K extends LiveEventName> = (data: LiveEvents[K]) => void;

export class LiveClient {
  private source: EventSource | undefined;
  private pump: string | undefined;
  private retryMs = 500;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private state: Connection = 'connecting';
  private readonly handlers = new Map<LiveEventName, Set<Handler<LiveEventName>>>();
  private readonly connectionWatchers = new Set<(state: Connection) => void>();
  /** called after a reconnect, so that a view can fetch what it missed */
  private readonly reconnectWatchers = new Set<() => void>();
  private wasLive = false;

  constructor(private readonly path = '/api/events') {}

  start(): void {
    this.open();
  }

  /** Streams one pump's `sample` and `prediction` events too (undefined: none), by reopening the stream. */
  follow(pump: string | undefined): void {
    if (pump === this.pump) return;
    this.pump = pump;
    // A reopening asked for is no reconnect: the views that mount next fetch what they need anyway.
    this.wasLive = false;
    this.open();
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

  private open(): void {
    this.source?.close();
    clearTimeout(this.retryTimer);
    const source = new EventSource(apiUrl(this.path, { pump: this.pump }));
    this.source = source;
    this.setState('connecting');
    source.onopen = () => {
      this.retryMs = 500;
      this.setState('live');
      if (this.wasLive) for (const watcher of this.reconnectWatchers) watcher();
      this.wasLive = true;
    };
    source.onerror = () => {
      if (source !== this.source) return;
      this.setState('disconnected');
      // The browser retries by itself while readyState is CONNECTING; after a refused answer (an HTTP
      // error, a wrong content type) it gives up (CLOSED), and then the page retries, backing off.
      if (source.readyState === EventSource.CLOSED) {
        this.retryTimer = setTimeout(() => this.open(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      }
    };
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (event) => this.dispatch(name, (event as MessageEvent<string>).data));
    }
  }

  private dispatch(name: LiveEventName, text: string): void {
    const set = this.handlers.get(name);
    if (!set || set.size === 0) return;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      console.warn(`unreadable ${name} event`, err);
      return;
    }
    for (const handler of set) handler(data as LiveEvents[LiveEventName]);
  }

  private setState(state: Connection): void {
    if (state === this.state) return;
    this.state = state;
    for (const watcher of this.connectionWatchers) watcher(state);
  }
}
