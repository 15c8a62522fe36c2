/** What every view module exports: mount into the page's main element, return how to leave. */
import type { LiveClient } from './live.ts';
import type { Route } from './router.ts';

export interface ViewContext {
  readonly live: LiveClient;
  readonly route: Route;
}

/** Builds the view inside `root`; the returned function stops its timers, requests and live listeners. */
export type View = (root: HTMLElement, context: ViewContext) => () => void;
