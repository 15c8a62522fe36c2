/**
 * The page's one Server-Sent Events connection (GET /api/events), in a worker: it parses every event off the
 * main thread, turns the fleet deltas (10,000 tiles a second) into typed arrays handed over without a copy,
 * follows one pump's samples and predictions when asked, and reconnects after an error.
 */
import type { FleetDelta } from '../src/api/contract.ts';
import { apiUrl } from './api-url.ts';
import { PumpDictionary, transferablesOf } from './fleet/compact-delta.ts';
import { type Connection, type FromWorker, PLAIN_EVENTS, type ToWorker } from './live-protocol.ts';

/** What this file needs of a dedicated worker's global scope (the DOM types describe a window's). */
interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

/** Longest wait before reconnecting after the browser gave up on the stream. */
const MAX_RETRY_MS = 10_000;

const dictionary = new PumpDictionary();
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
    if (wasLive) scope.postMessage({ type: 'reconnected' });
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
    if (!delta) return;
    const compact = dictionary.compact(delta);
    scope.postMessage({ type: 'fleet', delta: compact }, transferablesOf(compact));
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
  if (message.type === 'follow' && message.pump !== pump) {
    pump = message.pump;
    // A reopening asked for is no reconnect: the views that mount next fetch what they need anyway.
    wasLive = false;
    open();
  }
};

open();
