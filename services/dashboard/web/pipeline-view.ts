/**
 * The pipeline view: ingest and prediction rates, backlog, inference latency p99, each service online or
 * offline (live from the SSE `status` events), dead letters by reason and the recent ones, and the messages on
 * the bus that the dashboard itself could not read. Topics and details are shown as text, whatever they hold.
 */
import type { PipelineResponse, ServiceStatus } from '../src/api/contract.ts';
import { errorBox, getJson, isAbort } from './api.ts';
import { el, replaceChildren, table } from './dom.ts';
import { formatAgo, formatNumber, formatTime } from './format.ts';
import type { View } from './view.ts';

const REFRESH_MS = 5000;

function figure(label: string, value: string, unit: string): HTMLElement {
  return el(
    'div',
    { className: 'figure' },
    el('span', { className: 'value', text: value }),
    el('span', { className: 'unit', text: unit }),
    el('span', { className: 'label', text: label }),
  );
}

function serviceBadge(status: ServiceStatus['status']): HTMLElement {
  return el('span', { className: `service-status ${status}`, text: status });
}

function servicesTable(services: readonly ServiceStatus[]): HTMLElement {
  if (services.length === 0)
    return el('p', { className: 'empty', text: 'No service has announced itself yet.' });
  return table(
    ['service', 'status', 'since'],
    [...services]
      .sort((a, b) => (a.service < b.service ? -1 : 1))
      .map((s) => [s.service, serviceBadge(s.status), `${formatTime(s.since)} (${formatAgo(s.since)})`]),
    { className: 'services' },
  );
}

function section(title: string, ...children: Node[]): HTMLElement {
  return el('section', {}, el('h2', { text: title }), ...children);
}

function orNone(rows: readonly unknown[], text: string, make: () => HTMLElement): HTMLElement {
  return rows.length === 0 ? el('p', { className: 'empty', text }) : make();
}

function render(p: PipelineResponse, services: readonly ServiceStatus[]): HTMLElement[] {
  const rate = (x: number | null) => formatNumber(x, x !== null && x < 10 ? 1 : 0);
  return [
    el(
      'div',
      { className: 'figures' },
      figure('ingest', rate(p.ingestPerS), 'msg/s'),
      figure('predictions', rate(p.predictionsPerS), '/s'),
      figure('inference latency p99', formatNumber(p.inferenceLatencyP99Ms, 1), 'ms'),
      figure('backlog', formatNumber(p.backlog), 'rows'),
    ),
    el(
      'div',
      { className: 'columns' },
      section('Services', servicesTable(services)),
      section(
        'Metrics scraped',
        orNone(p.scrape, 'No /metrics endpoint configured.', () =>
          table(
            ['endpoint', 'answer'],
            p.scrape.map((s) => [s.url, s.ok ? 'ok' : `failed: ${s.error ?? 'unknown error'}`]),
            { className: 'scrape' },
          ),
        ),
      ),
    ),
    section(
      'Dead letters by reason',
      orNone(p.deadLetters.byReason, 'No dead letter.', () =>
        table(
          ['origin', 'reason', 'count'],
          p.deadLetters.byReason.map((d) => [d.origin, d.reason, formatNumber(d.count)]),
          { className: 'dead-letters-by-reason' },
        ),
      ),
    ),
    section(
      'Recent dead letters',
      orNone(p.deadLetters.recent, 'None.', () =>
        table(
          ['received', 'origin', 'topic', 'reason', 'detail'],
          p.deadLetters.recent.map((d) => [
            formatTime(d.receivedAt),
            d.origin,
            d.topic ?? '—',
            d.reason,
            d.detail,
          ]),
          { className: 'dead-letters' },
        ),
      ),
    ),
    section(
      'Messages on the bus the dashboard could not read',
      orNone(p.invalidOnBus, 'None.', () =>
        table(
          ['at', 'topic', 'reason', 'detail'],
          p.invalidOnBus.map((m) => [formatTime(m.at), m.topic, m.reason, m.detail]),
          { className: 'invalid-on-bus' },
        ),
      ),
    ),
  ];
}

export const pipelineView: View = (root, { live }) => {
  const controller = new AbortController();
  const status = el('p', { className: 'status', text: 'Loading…' });
  const body = el('div');
  replaceChildren(
    root,
    el('section', { className: 'view pipeline', attrs: { 'aria-label': 'Pipeline' } }, status, body),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: PipelineResponse | undefined;
  const services = new Map<string, ServiceStatus>();

  function show(): void {
    if (last) replaceChildren(body, ...render(last, [...services.values()]));
  }

  async function refresh(): Promise<void> {
    try {
      last = await getJson<PipelineResponse>('/api/pipeline', {}, controller.signal);
      services.clear();
      for (const s of last.services) services.set(s.service, s);
      status.replaceChildren();
      show();
    } catch (err) {
      if (isAbort(err)) return;
      replaceChildren(status, errorBox('The pipeline could not be loaded', err));
    }
    timer = setTimeout(() => void refresh(), REFRESH_MS);
  }

  const stopStatus = live.on('status', (s) => {
    services.set(s.service, s);
    show();
  });
  void refresh();

  return () => {
    controller.abort();
    clearTimeout(timer);
    stopStatus();
  };
};
