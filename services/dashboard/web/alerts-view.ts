/**
 * The alerts view: open alarms and low remaining useful lives with their evidence, and the history of
 * alerts, filterable by pump, kind and time. New alerts arrive over SSE and show at once.
 */
import { PUMP_STATES } from '@pdm/contract/states';
import type { AlertRow, AlertsResponse } from '../src/api/contract.ts';
import { errorBox, getJson, isAbort } from './api.ts';
import { TILE_COLOURS } from './colours.ts';
import { el, link, replaceChildren } from './dom.ts';
import {
  formatNumber,
  formatPercent,
  formatRul,
  formatTime,
  fromLocalInput,
  toLocalInput,
} from './format.ts';
import { hashFor, pumpHash } from './router.ts';
import { stateBadge } from './state-badge.ts';
import type { View } from './view.ts';

interface AlertFilter {
  readonly pump: string;
  readonly kind: string;
  /** the query's text; the server says what is wrong with it */
  readonly from: string;
  readonly to: string;
}

/** How each kind is named on the page. */
const KIND_LABELS: Readonly<Record<AlertRow['kind'], string>> = {
  alarm: 'alarm',
  recovered: 'recovered',
  rul_low: 'RUL low',
};

/** A rul_low's message: the remaining useful life, and what to do about it. */
export function rulLowText(rulH: number | undefined): string {
  return `RUL ${formatRul(rulH)} — plan the repair`;
}

function evidenceCell(alert: AlertRow): HTMLElement {
  const { evidence } = alert;
  const probabilities = PUMP_STATES.map((s) => [s, evidence.probabilities[s] ?? 0] as const)
    .filter(([, p]) => p >= 0.005)
    .sort((a, b) => b[1] - a[1])
    .map(([s, p]) => `${TILE_COLOURS[s].label} ${formatPercent(p)}`)
    .join(', ');
  return el(
    'div',
    { className: 'evidence' },
    alert.kind === 'rul_low' && el('strong', { className: 'rul', text: rulLowText(evidence.rulH) }),
    el(
      'span',
      { className: 'raw-states', attrs: { title: 'the raw states of the last predictions, oldest first' } },
      ...evidence.rawStates.map((s) => stateBadge(s)),
    ),
    el('span', { text: probabilities }),
    el('span', { text: `${formatNumber(evidence.vibrationRms, 2)} mm/s, zone ${evidence.isoZone}` }),
    el('span', { text: `${formatNumber(evidence.temperature, 1)} °C` }),
  );
}

function alertRow(alert: AlertRow, fresh: boolean): HTMLTableRowElement {
  const kind = el('span', { className: `kind ${alert.kind}`, text: KIND_LABELS[alert.kind] });
  // A rul_low does not change the state: it is shown once, not as a transition to itself.
  const state =
    alert.kind === 'rul_low'
      ? [stateBadge(alert.state)]
      : [stateBadge(alert.previousState), ' → ', stateBadge(alert.state)];
  return el(
    'tr',
    { dataset: { pump: alert.pumpId, ts: String(alert.ts) }, ...(fresh ? { className: 'fresh' } : {}) },
    el('td', { text: formatTime(alert.ts) }),
    el('td', {}, link(pumpHash(alert.pumpId), alert.pumpId)),
    el('td', {}, kind),
    el('td', {}, ...state),
    el('td', {}, evidenceCell(alert)),
    el('td', { className: 'model', text: alert.modelVersion }),
  );
}

function alertTable(id: string, caption: string): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = el('tbody');
  const table = el(
    'table',
    { className: 'alerts', attrs: { id } },
    el('caption', { text: caption }),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['time', 'pump', 'kind', 'state', 'evidence', 'model'].map((h) =>
          el('th', { text: h, attrs: { scope: 'col' } }),
        ),
      ),
    ),
    body,
  );
  return { table, body };
}

function matches(alert: AlertRow, filter: AlertFilter): boolean {
  const from = Number(filter.from);
  const to = Number(filter.to);
  return (
    (filter.pump === '' || alert.pumpId === filter.pump) &&
    (filter.kind === '' || alert.kind === filter.kind) &&
    (filter.from === '' || alert.ts >= from) &&
    (filter.to === '' || alert.ts < to)
  );
}

function filterForm(filter: AlertFilter): HTMLFormElement {
  const pump = el('input', {
    attrs: { type: 'search', id: 'alerts-pump', placeholder: 'pump id', spellcheck: 'false' },
  });
  pump.value = filter.pump;
  const kind = el(
    'select',
    { attrs: { id: 'alerts-kind' } },
    el('option', { text: 'every kind', attrs: { value: '' } }),
    el('option', { text: 'alarms', attrs: { value: 'alarm' } }),
    el('option', { text: 'recoveries', attrs: { value: 'recovered' } }),
    el('option', { text: 'RUL low', attrs: { value: 'rul_low' } }),
  );
  kind.value = filter.kind;
  const from = el('input', { attrs: { type: 'datetime-local', id: 'alerts-from' } });
  const to = el('input', { attrs: { type: 'datetime-local', id: 'alerts-to' } });
  if (/^\d+$/.test(filter.from)) from.value = toLocalInput(Number(filter.from));
  if (/^\d+$/.test(filter.to)) to.value = toLocalInput(Number(filter.to));
  return el(
    'form',
    {
      className: 'toolbar',
      on: {
        submit: (event) => {
          event.preventDefault();
          location.hash = hashFor('alerts', [], {
            pump: pump.value.trim(),
            kind: kind.value,
            from: String(fromLocalInput(from.value) ?? ''),
            to: String(fromLocalInput(to.value) ?? ''),
          });
        },
      },
    },
    el('label', { attrs: { for: 'alerts-pump' } }, 'Pump ', pump),
    el('label', { attrs: { for: 'alerts-kind' } }, 'Kind ', kind),
    el('label', { attrs: { for: 'alerts-from' } }, 'from ', from),
    el('label', { attrs: { for: 'alerts-to' } }, 'to ', to),
    el('button', { text: 'Filter', attrs: { type: 'submit' } }),
    link(hashFor('alerts'), 'clear'),
  );
}

export const alertsView: View = (root, { live, route }) => {
  const filter: AlertFilter = {
    pump: route.query.get('pump') ?? '',
    kind: route.query.get('kind') ?? '',
    from: route.query.get('from') ?? '',
    to: route.query.get('to') ?? '',
  };
  const controller = new AbortController();
  const status = el('div', { className: 'status', text: 'Loading…' });
  const open = alertTable(
    'alerts-open',
    'Open: alarms and low remaining useful lives, until the pump recovers',
  );
  const history = alertTable('alerts-history', 'History, newest first');
  const openEmpty = el('p', { className: 'empty', text: 'No open alarm.', attrs: { hidden: '' } });
  const historyEmpty = el('p', { className: 'empty', text: 'No alert matches.', attrs: { hidden: '' } });
  replaceChildren(
    root,
    el(
      'section',
      { className: 'view alerts', attrs: { 'aria-label': 'Alerts' } },
      filterForm(filter),
      status,
      el('div', { className: 'table-scroll' }, open.table),
      openEmpty,
      el('div', { className: 'table-scroll' }, history.table),
      historyEmpty,
    ),
  );

  let openAlarms: AlertRow[] = [];
  let loaded = false;
  const early: AlertRow[] = [];

  function showOpen(freshPump?: string): void {
    open.body.replaceChildren(...openAlarms.map((a) => alertRow(a, a.pumpId === freshPump)));
    openEmpty.hidden = openAlarms.length > 0;
  }

  function arrive(alert: AlertRow): void {
    // A recovery closes both of the pump's; an alarm or a rul_low replaces the pump's own of its kind.
    const others = openAlarms.filter(
      (a) => a.pumpId !== alert.pumpId || (alert.kind !== 'recovered' && a.kind !== alert.kind),
    );
    const opens = alert.kind !== 'recovered';
    openAlarms = opens ? [alert, ...others] : others;
    showOpen(opens ? alert.pumpId : undefined);
    if (matches(alert, filter)) {
      history.body.prepend(alertRow(alert, true));
      historyEmpty.hidden = true;
    }
  }

  const stopAlerts = live.on('alert', (alert) => {
    if (loaded) arrive(alert);
    else if (early.length < 1000) early.push(alert);
  });
  getJson<AlertsResponse>(
    '/api/alerts',
    { pump: filter.pump, kind: filter.kind, from: filter.from, to: filter.to },
    controller.signal,
  )
    .then((response) => {
      openAlarms = [...response.open];
      showOpen();
      history.body.replaceChildren(...response.history.map((a) => alertRow(a, false)));
      historyEmpty.hidden = response.history.length > 0;
      status.replaceChildren();
      loaded = true;
      const known = new Set(response.history.map((a) => `${a.pumpId}\u0000${a.ts}`));
      for (const alert of early.splice(0)) {
        if (!known.has(`${alert.pumpId}\u0000${alert.ts}`)) arrive(alert);
      }
    })
    .catch((err: unknown) => {
      if (!isAbort(err)) status.replaceChildren(errorBox('The alerts could not be loaded', err));
    });

  return () => {
    controller.abort();
    stopAlerts();
  };
};
