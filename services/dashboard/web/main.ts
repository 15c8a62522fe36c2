/**
 * The page's entry: the header's tabs and live indicator, the one SSE connection, and the hash router that
 * mounts one view at a time into <main>.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { alertsView } from './alerts-view.ts';
import { fleetView } from './fleet/fleet-view.ts';
import { type Connection, LiveClient } from './live.ts';
import { modelView } from './model-view.ts';
import { pipelineView } from './pipeline-view.ts';
import { pumpView } from './pump/pump-view.ts';
import { parseHash, pumpHash, type ViewName } from './router.ts';
import type { View } from './view.ts';

const VIEWS: Readonly<Record<ViewName, View>> = {
  fleet: fleetView,
  pump: pumpView,
  alerts: alertsView,
  model: modelView,
  pipeline: pipelineView,
};
const CONNECTION_TEXT: Readonly<Record<Connection, string>> = {
  connecting: 'connecting…',
  live: 'live',
  disconnected: 'disconnected, retrying',
};

const main = document.getElementById('app') as HTMLElement;
const indicator = document.getElementById('connection') as HTMLElement;
const live = new LiveClient();
let leave: (() => void) | undefined;

function showTabs(view: ViewName, pump: string | undefined): void {
  for (const tab of document.querySelectorAll<HTMLAnchorElement>('nav.tabs a')) {
    const active = tab.dataset.view === view;
    if (active) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
    if (tab.dataset.view === 'pump' && pump !== undefined) {
      tab.hidden = false;
      tab.href = pumpHash(pump);
      tab.textContent = `Pump ${pump}`;
    }
  }
}

function route(): void {
  leave?.();
  const current = parseHash(location.hash);
  showTabs(current.view, current.view === 'pump' ? current.params[0] : undefined);
  document.body.dataset.view = current.view;
  leave = VIEWS[current.view](main, { live, route: current });
}

live.onConnection((state) => {
  indicator.dataset.state = state;
  indicator.textContent = CONNECTION_TEXT[state];
});
window.addEventListener('hashchange', route);
live.start();
route();
