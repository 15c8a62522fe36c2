/**
 * The page's worker: its one Server-Sent Events connection (GET /api/events) and the fleet's canvas. Every
 * event is parsed here, off the main thread; the fleet deltas (10,000 tiles a second) are applied and drawn
 * here too, on the OffscreenCanvas the fleet view handed over, so that the page's main thread only hears a
 * summary. It follows one pump's samples and predictions when asked, and reconnects after an error.
 */
import type { FleetDelta, FleetResponse } from '../src/api/contract.ts';
import { ApiError, getJson } from './api.ts';
import { apiUrl } from './api-url.ts';
import { FleetRenderer } from './fleet/fleet-renderer.ts';
import { type Connection, type FromWorker, PLAIN_EVENTS, type ToWorker } from './live-protocol.ts';

/** What this file needs of a dedicated worker's global scope (the DOM types describe a window's). */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

/** Longest wait before reconnecting after the browser gave up on the stream. */
const MAX_RETRY_MS = 10_000;

const fleet = new FleetRenderer({
  fetchFleet: () => getJson<FleetResponse>('/api/fleet', { sort: 'id' }),
  summary: (summary) => scope.postMessage({ type: 'fleet-summary', summary }),
  failed: (err) =>
    scope.postMessage({
      type: 'fleet-failed',
      failure: {
        message: err instanceof Error ? err.message : String(err),
        status: err instanceof ApiError ? err.status : 0,
        problems: err instanceof ApiError ? err.problems : [],
      },
    }),
});

let source: EventSource | undefined;
let pump: string | undefined;
let retryMs = 500;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let state: Connection = 'connecting';
/** a stream was open before, and not closed on purpose: the next open is a reconnect */
let wasLive = false;

function setState(next: Connection): void {
  if (next === state) return;
  state = next;
  scope.postMessage({ type: 'connection', state });
}

function parse(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    console.warn(`unreadable ${name} event`, err);
    return undefined;
  }
}

function open(): void {
  source?.close();
  clearTimeout(retryTimer);
  const current = new EventSource(apiUrl('/api/events', { pump }));
  source = current;
  setState('connecting');
  current.onopen = () => {
    retryMs = 500;
    setState('live');
    if (wasLive) fleet.reconnected();
    wasLive = true;
  };
  current.onerror = () => {
    if (current !== source) return;
    setState('disconnected');
    // The browser retries by itself while readyState is CONNECTING; after a refused answer (an HTTP error,
    // a wrong content type) it gives up (CLOSED), and then the worker retries, backing off.
    if (current.readyState === EventSource.CLOSED) {
      retryTimer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    }
  };
  current.addEventListener('fleet', (event) => {
    const delta = parse('fleet', (event as MessageEvent<string>).data) as FleetDelta | undefined;
    if (delta) fleet.delta(delta);
  });
  for (const name of PLAIN_EVENTS) {
    current.addEventListener(name, (event) => {
      const data = parse(name, (event as MessageEvent<string>).data);
      if (data !== undefined) scope.postMessage({ type: 'event', name, data } as FromWorker);
    });
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case 'follow':
      if (message.pump === pump) return;
      pump = message.pump;
      // A reopening asked for is no reconnect: the fleet is still current.
      wasLive = false;
      open();
      return;
    case 'fleet-attach':
      fleet.attach(message.canvas, message.viewport, message.filter);
      return;
    case 'fleet-filter':
      fleet.setFilter(message.filter);
      return;
    case 'fleet-resize':
      fleet.resize(message.viewport);
      return;
    case 'fleet-detach':
      fleet.detach();
      return;
    case 'fleet-hit':
      scope.postMessage({
        type: 'fleet-hit',
        request: message.request,
        tile: fleet.hit(message.x, message.y),
      });
      return;
  }
};

open();
