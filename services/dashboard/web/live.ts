/**
 * The page's side of its worker (live-worker.ts): it dispatches the live events to the views that listen,
 * tells the worker which pump to follow, hands it the fleet's canvas, and tells the header whether the page
 * is live.
 */
import type { FleetFilter } from './fleet/fleet-model.ts';
import type { FleetSummary, TileInfo } from './fleet/fleet-renderer.ts';
import type { Viewport } from './fleet/tile-canvas.ts';
import type { Connection, FleetFailure, FromWorker, PlainEvents, ToWorker } from './live-protocol.ts';

export type { Connection } from './live-protocol.ts';

export interface LiveEvents extends PlainEvents {
  readonly fleetSummary: FleetSummary;
  readonly fleetFailed: FleetFailure;
}
export type LiveEventName = keyof LiveEvents;

type Handler<K extends LiveEventName> = (data: LiveEvents[K]) => void;

export class LiveClient {
  private worker: Worker | undefined;
  private pump: string | undefined;
  private state: Connection = 'connecting';
  private readonly handlers = new Map<LiveEventName, Set<Handler<LiveEventName>>>();
  private readonly connectionWatchers = new Set<(state: Connection) => void>();
  private nextHit = 0;
  private readonly hits = new Map<number, (tile: TileInfo | undefined) => void>();

  start(): void {
    const worker = new Worker(new URL('./live-worker.js', import.meta.url), { type: 'module' });
    this.worker = worker;
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    worker.onerror = (event) => {
      console.error('the page’s worker failed', event.message);
      this.setState('disconnected');
    };
  }

  /** Streams one pump's `sample` and `prediction` events too (undefined: none). */
  follow(pump: string | undefined): void {
    if (pump === this.pump) return;
    this.pump = pump;
    this.send({ type: 'follow', pump });
  }

  /** Hands the fleet view's canvas to the worker, which draws the tiles on it from now on. */
  attachFleet(canvas: OffscreenCanvas, viewport: Viewport, filter: FleetFilter): void {
    this.worker?.postMessage({ type: 'fleet-attach', canvas, viewport, filter } satisfies ToWorker, [canvas]);
  }

  setFleetFilter(filter: FleetFilter): void {
    this.send({ type: 'fleet-filter', filter });
  }

  resizeFleet(viewport: Viewport): void {
    this.send({ type: 'fleet-resize', viewport });
  }

  detachFleet(): void {
    this.send({ type: 'fleet-detach' });
  }

  /** The tile at a point of the fleet canvas (CSS pixels), as the worker last drew it. */
  tileAt(x: number, y: number): Promise<TileInfo | undefined> {
    const request = this.nextHit++;
    return new Promise((resolve) => {
      this.hits.set(request, resolve);
      this.send({ type: 'fleet-hit', request, x, y });
    });
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

  private send(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private receive(message: FromWorker): void {
    switch (message.type) {
      case 'connection':
        this.setState(message.state);
        return;
      case 'fleet-summary':
        this.dispatch('fleetSummary', message.summary);
        return;
      case 'fleet-failed':
        this.dispatch('fleetFailed', message.failure);
        return;
      case 'fleet-hit':
        this.hits.get(message.request)?.(message.tile);
        this.hits.delete(message.request);
        return;
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
