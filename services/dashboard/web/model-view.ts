/**
 * The model view: the serving model's version and held-out metrics from its report (per class, confusion
 * matrix, feature importances), the versions seen in predictions, and live scoring against the ground truth.
 */
import { PUMP_STATES } from '@pdm/contract/states';
import type { ModelResponse } from '../src/api/contract.ts';
import { errorBox, getJson, isAbort } from './api.ts';
import { el, replaceChildren, table } from './dom.ts';
import { formatDateTime, formatNumber, formatPercent } from './format.ts';
import type { View } from './view.ts';

const REFRESH_MS = 5000;
/** the shading of a confusion cell: this blue, as opaque as the cell's share of its row */
const SHADE = [0, 114, 178] as const;

function facts(entries: readonly (readonly [string, string])[]): HTMLDListElement {
  return el(
    'dl',
    { className: 'facts' },
    ...entries.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]),
  );
}

/** Rows are the truth, columns the prediction; each cell is shaded by its share of the row. */
export function confusionTable(
  classes: readonly string[],
  counts: readonly (readonly number[])[],
  caption: string,
): HTMLTableElement {
  const head = el(
    'tr',
    {},
    el('th', { text: 'truth \\ predicted', attrs: { scope: 'col' } }),
    ...classes.map((c) => el('th', { text: c, attrs: { scope: 'col' } })),
  );
  const rows = classes.map((truth, i) => {
    const row = counts[i] ?? [];
    const total = row.reduce((a, b) => a + b, 0);
    return el(
      'tr',
      {},
      el('th', { text: truth, attrs: { scope: 'row' } }),
      ...classes.map((predicted, j) => {
        const n = row[j] ?? 0;
        const share = total > 0 ? n / total : 0;
        const cell = el('td', {
          text: formatNumber(n),
          className: i === j ? 'diagonal' : '',
          attrs: { title: `${truth} predicted as ${predicted}: ${formatPercent(share, 1)} of ${truth}` },
        });
        cell.style.background = `rgba(${SHADE.join(',')},${share.toFixed(3)})`;
        if (share > 0.5) cell.style.color = '#ffffff';
        return cell;
      }),
    );
  });
  return el(
    'table',
    { className: 'confusion' },
    el('caption', { text: caption }),
    el('thead', {}, head),
    el('tbody', {}, ...rows),
  );
}

type Serving = NonNullable<ModelResponse['serving']>;

/** A model's classes (in the model's order) as the page lists states: by severity, others after them. */
function inStateOrder(classes: readonly string[]): string[] {
  const rank = (c: string) => {
    const i = (PUMP_STATES as readonly string[]).indexOf(c);
    return i === -1 ? PUMP_STATES.length : i;
  };
  return [...classes].sort((a, b) => rank(a) - rank(b));
}

function importanceBars(importances: Serving['featureImportances']): HTMLElement {
  const top = [...importances].sort((a, b) => b.importance - a.importance);
  const max = top[0]?.importance ?? 1;
  return el(
    'ol',
    { className: 'bars', attrs: { 'aria-label': 'Feature importances, largest first' } },
    ...top.map(({ feature, importance }) => {
      const bar = el('span', { className: 'bar', attrs: { 'aria-hidden': 'true' } });
      bar.style.width = `${((importance / max) * 100).toFixed(1)}%`;
      return el(
        'li',
        {},
        el('span', { className: 'name', text: feature }),
        el('span', { className: 'track' }, bar),
        el('span', { className: 'value', text: formatPercent(importance, 1) }),
      );
    }),
  );
}

function servingSection(serving: ModelResponse['serving']): HTMLElement {
  if (serving === null) {
    return el(
      'section',
      {},
      el('h2', { text: 'Serving model' }),
      el('p', {
        text: 'No model report is readable beside the serving model, so its held-out metrics are unknown.',
      }),
    );
  }
  const { heldOut } = serving;
  const classes = inStateOrder(serving.classes);
  const perClass = table(
    ['class', 'precision', 'recall', 'F1', 'support'],
    classes.map((c) => {
      const m = heldOut.perClass[c];
      return [
        c,
        formatNumber(m?.precision, 3),
        formatNumber(m?.recall, 3),
        formatNumber(m?.f1, 3),
        formatNumber(m?.support),
      ];
    }),
    { className: 'per-class' },
  );
  return el(
    'section',
    {},
    el('h2', { text: 'Serving model' }),
    facts([
      ['version', serving.version],
      ['created', formatDateTime(Date.parse(serving.createdAt))],
      ['classes', classes.join(', ')],
      ['held-out accuracy', formatPercent(heldOut.accuracy, 1)],
      ['held-out macro F1', formatNumber(heldOut.macroF1, 3)],
    ]),
    el(
      'div',
      { className: 'columns' },
      el('div', {}, el('h3', { text: 'Per class, held-out pumps' }), perClass),
      el(
        'div',
        {},
        el('h3', { text: 'Confusion matrix, held-out pumps' }),
        confusionTable(heldOut.confusionMatrix.classes, heldOut.confusionMatrix.counts, 'rows: truth'),
      ),
    ),
    el('h3', { text: 'Feature importances' }),
    importanceBars(serving.featureImportances),
  );
}

function liveSection(live: ModelResponse['live']): HTMLElement {
  const title = el('h2', { text: 'Live, against the ground truth' });
  if (live === null) {
    return el(
      'section',
      {},
      title,
      el('p', {
        text: 'The ground truth is not on the bus (pdm/v1/groundtruth/+), so live accuracy cannot be scored.',
      }),
    );
  }
  return el(
    'section',
    {},
    title,
    facts([
      ['predictions scored', formatNumber(live.scored)],
      ['accuracy', formatPercent(live.accuracy, 1)],
      ['false alarms', formatNumber(live.falseAlarms)],
    ]),
    confusionTable(PUMP_STATES, live.confusion, 'rows: truth, since the dashboard started'),
  );
}

function historySection(history: ModelResponse['history']): HTMLElement {
  return el(
    'section',
    {},
    el('h2', { text: 'Versions seen in predictions' }),
    history.length === 0
      ? el('p', { text: 'No prediction seen yet.' })
      : table(
          ['version', 'first seen', 'last seen'],
          [...history]
            .reverse()
            .map((h) => [h.version, formatDateTime(h.firstSeen), formatDateTime(h.lastSeen)]),
          { className: 'history' },
        ),
  );
}

export const modelView: View = (root) => {
  const controller = new AbortController();
  const status = el('p', { className: 'status', text: 'Loading…' });
  const serving = el('div');
  const live = el('div');
  const history = el('div');
  replaceChildren(
    root,
    el(
      'section',
      { className: 'view model', attrs: { 'aria-label': 'Model' } },
      status,
      serving,
      live,
      history,
    ),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** the serving model shown; its report is drawn again only when another model serves */
  let shownVersion: string | null | undefined;

  async function refresh(): Promise<void> {
    try {
      const model = await getJson<ModelResponse>('/api/model', {}, controller.signal);
      status.replaceChildren();
      const version = model.serving?.version ?? null;
      if (version !== shownVersion) {
        shownVersion = version;
        replaceChildren(serving, servingSection(model.serving));
      }
      replaceChildren(live, liveSection(model.live));
      replaceChildren(history, historySection(model.history));
    } catch (err) {
      if (isAbort(err)) return;
      replaceChildren(status, errorBox('The model could not be loaded', err));
    }
    timer = setTimeout(() => void refresh(), REFRESH_MS);
  }
  void refresh();

  return () => {
    controller.abort();
    clearTimeout(timer);
  };
};
