/**
 * The fleet view: every pump as a tile coloured by its state, counts per state (which filter), a filter by id
 * glob, sorted by risk or id, live from the SSE `fleet` deltas. Hover tells a tile's pump, click opens it.
 */
import type { FleetResponse } from '../../src/api/contract.ts';
import { TILE_STATES, type TileState } from '../../src/api/tile-states.ts';
import { errorBox, getJson, isAbort } from '../api.ts';
import { TILE_COLOURS } from '../colours.ts';
import { el, replaceChildren } from '../dom.ts';
import { formatAgo, formatDuration, formatNumber, formatPercent, formatTime } from '../format.ts';
import { hashFor, pumpHash } from '../router.ts';
import type { View } from '../view.ts';
import type { CompactDelta } from './compact-delta.ts';
import { FleetModel, type SortOrder, type TileRecord } from './fleet-model.ts';
import { TileCanvas } from './tile-canvas.ts';

/** In risk order, tiles keep their place between re-sorts, so that a pump can be followed and clicked. */
const RESORT_EVERY_MS = 5000;

function parseStates(value: string | null): Set<TileState> {
  const wanted = new Set((value ?? '').split(','));
  return new Set(TILE_STATES.filter((s) => wanted.has(s)));
}

export const fleetView: View = (root, { live, route }) => {
  const model = new FleetModel();
  const controller = new AbortController();
  model.setFilter({
    pattern: route.query.get('pattern') ?? '',
    states: parseStates(route.query.get('state')),
    sort: route.query.get('sort') === 'id' ? 'id' : 'risk',
  });

  const pattern = el('input', {
    attrs: {
      type: 'search',
      id: 'fleet-pattern',
      placeholder: 'pump-00*',
      spellcheck: 'false',
      autocomplete: 'off',
      'aria-describedby': 'fleet-pattern-help',
    },
  });
  pattern.value = model.getFilter().pattern;
  const sort = el(
    'select',
    { attrs: { id: 'fleet-sort' } },
    el('option', { text: 'risk, P(faulty) + P(broken)', attrs: { value: 'risk' } }),
    el('option', { text: 'pump id', attrs: { value: 'id' } }),
  );
  sort.value = model.getFilter().sort;
  const summary = el('span', { className: 'summary', attrs: { 'aria-live': 'polite' } });
  const countButtons = new Map<TileState, { button: HTMLButtonElement; count: Text }>();
  const counts = el('div', {
    className: 'counts',
    attrs: { role: 'group', 'aria-label': 'Filter by state' },
  });
  for (const state of TILE_STATES) {
    const count = document.createTextNode('0');
    const swatch = el('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
    swatch.style.background = TILE_COLOURS[state].fill;
    const button = el(
      'button',
      {
        className: 'count',
        attrs: { type: 'button', 'aria-pressed': 'false' },
        dataset: { state },
        on: { click: () => toggleState(state) },
      },
      swatch,
      el('span', { className: 'label', text: TILE_COLOURS[state].label }),
      el('span', { className: 'n' }, count),
    );
    countButtons.set(state, { button, count });
    counts.append(button);
  }
  const note = el('p', { className: 'note' });
  const tiles: TileCanvas = new TileCanvas((): number =>
    Math.max(240, window.innerHeight - tiles.canvas.getBoundingClientRect().top - 24),
  );
  const tooltip = el('div', { className: 'tooltip', attrs: { role: 'tooltip', hidden: '' } });
  const wrap = el('div', { className: 'tiles-wrap' }, tiles.canvas, tooltip);
  const empty = el('p', { className: 'empty', attrs: { hidden: '' } });
  const status = el('div');
  replaceChildren(
    root,
    el(
      'section',
      { className: 'view fleet', attrs: { 'aria-label': 'Fleet' } },
      el(
        'div',
        { className: 'toolbar' },
        el('label', { attrs: { for: 'fleet-pattern' } }, 'Pumps matching ', pattern),
        el('span', {
          className: 'help',
          attrs: { id: 'fleet-pattern-help' },
          text: '* any characters, ? one',
        }),
        el('label', { attrs: { for: 'fleet-sort' } }, 'Sorted by ', sort),
        summary,
      ),
      counts,
      note,
      status,
      wrap,
      empty,
    ),
  );

  const section = root.firstElementChild as HTMLElement;
  let hovered: string | undefined;
  let loaded = false;
  let pending: CompactDelta[] = [];
  let unsorted = false;

  function showFilter(): void {
    const { states } = model.getFilter();
    for (const [state, { button }] of countButtons) {
      button.setAttribute('aria-pressed', String(states.has(state)));
    }
  }

  function showCounts(): void {
    for (const [state, { count }] of countButtons) {
      const text = formatNumber(model.counts[state]);
      if (count.data !== text) count.data = text;
    }
    const shown = model.shown.length;
    summary.textContent = `${formatNumber(shown)} of ${formatNumber(model.total)} pumps · updated ${formatTime(model.generatedAt)}`;
    // For the browser tests and the benchmark: when the fleet last changed, and how big it is.
    section.dataset.generatedAt = String(model.generatedAt);
    section.dataset.total = String(model.total);
    empty.hidden = shown > 0 || !loaded;
    empty.textContent =
      model.total === 0 ? 'No pump has sent a prediction yet.' : 'No pump matches this filter.';
  }

  function showAll(): void {
    tiles.setTiles(model.shown);
    unsorted = false;
    showCounts();
    showTooltip();
  }

  function setFilter(
    change: Partial<{ pattern: string; states: ReadonlySet<TileState>; sort: SortOrder }>,
  ): void {
    const filter = { ...model.getFilter(), ...change };
    model.setFilter(filter);
    history.replaceState(
      null,
      '',
      hashFor('fleet', [], {
        pattern: filter.pattern,
        state: [...filter.states].join(','),
        sort: filter.sort === 'risk' ? undefined : filter.sort,
      }),
    );
    showFilter();
    showAll();
  }

  function toggleState(state: TileState): void {
    const states = new Set(model.getFilter().states);
    if (states.has(state)) states.delete(state);
    else states.add(state);
    setFilter({ states });
  }

  function showTooltip(): void {
    const record = hovered === undefined ? undefined : model.get(hovered);
    const box = record && tiles.tileBox(record.id);
    if (!record || !box) {
      tooltip.hidden = true;
      return;
    }
    const stateLine =
      record.tile === 'STALE' || record.tile === 'OFFLINE'
        ? `${TILE_COLOURS[record.tile].label}${record.state ? `, last ${TILE_COLOURS[record.state].label}` : ''}`
        : TILE_COLOURS[record.tile].label;
    replaceChildren(
      tooltip,
      el('strong', { text: record.id }),
      el('span', { text: stateLine }),
      el('span', { text: `risk ${formatPercent(record.risk, 1)}` }),
      el('span', { text: `last seen ${formatTime(record.ts)} (${formatAgo(record.ts)})` }),
    );
    tooltip.hidden = false;
    const left = Math.min(box.x + box.size + 4, Math.max(0, wrap.clientWidth - tooltip.offsetWidth));
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${box.y + box.size + 4}px`;
  }

  function apply(delta: CompactDelta): void {
    const effect = model.applyDelta(delta, live.pumpIds);
    if (effect.membership) showAll();
    else {
      tiles.update(effect.changed);
      if (effect.changed.length > 0) unsorted = true;
      showCounts();
      if (hovered !== undefined) showTooltip();
    }
  }

  async function load(): Promise<void> {
    try {
      const snapshot = await getJson<FleetResponse>('/api/fleet', { sort: 'id' }, controller.signal);
      model.load(snapshot);
      loaded = true;
      note.textContent =
        `A pump with no prediction for ${formatDuration(snapshot.staleAfterMs)} is stale, ` +
        `and offline after ${formatDuration(snapshot.offlineAfterMs)}. Hover a tile for its pump; click to open it.`;
      status.replaceChildren();
      showAll();
      for (const delta of pending) if (delta.generatedAt > snapshot.generatedAt) apply(delta);
      pending = [];
    } catch (err) {
      if (!isAbort(err)) status.replaceChildren(errorBox('The fleet could not be loaded', err));
    }
  }

  let patternTimer: ReturnType<typeof setTimeout> | undefined;
  pattern.addEventListener('input', () => {
    clearTimeout(patternTimer);
    patternTimer = setTimeout(() => setFilter({ pattern: pattern.value.trim() }), 150);
  });
  sort.addEventListener('change', () => setFilter({ sort: sort.value === 'id' ? 'id' : 'risk' }));
  tiles.canvas.addEventListener('mousemove', (event) => {
    const record = tiles.tileAt(event.offsetX, event.offsetY);
    tiles.canvas.classList.toggle('pointing', record !== undefined);
    if (record?.id === hovered) return;
    hovered = record?.id;
    showTooltip();
  });
  tiles.canvas.addEventListener('mouseleave', () => {
    hovered = undefined;
    showTooltip();
  });
  tiles.canvas.addEventListener('click', (event) => {
    const record: TileRecord | undefined = tiles.tileAt(event.offsetX, event.offsetY);
    if (record) location.hash = pumpHash(record.id);
  });
  const resizer = new ResizeObserver(() => tiles.resize(wrap.clientWidth));
  resizer.observe(wrap);
  const resortTimer = setInterval(() => {
    if (unsorted && model.getFilter().sort === 'risk') {
      model.order();
      showAll();
    }
  }, RESORT_EVERY_MS);
  const stopDeltas = live.on('fleet', (delta) => {
    if (loaded) apply(delta);
    else pending.push(delta);
  });
  const stopReconnect = live.onReconnect(() => {
    loaded = false;
    void load();
  });
  showFilter();
  void load();

  return () => {
    controller.abort();
    stopDeltas();
    stopReconnect();
    resizer.disconnect();
    clearInterval(resortTimer);
    clearTimeout(patternTimer);
    tiles.destroy();
  };
};
