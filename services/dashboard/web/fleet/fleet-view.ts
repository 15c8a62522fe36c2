/**
 * The fleet view: every pump as a tile coloured by its state, counts per state (which filter), a filter by id
 * glob, sorted by risk or id, live from the SSE `fleet` deltas. The tiles are drawn by the page's worker on
 * this view's canvas; this side keeps the controls, the counts and the hover box. Hover tells a tile's pump,
 * click opens it.
 */
import { TILE_STATES, type TileState } from '../../src/api/tile-states.ts';
import { ApiError, errorBox } from '../api.ts';
import { TILE_COLOURS } from '../colours.ts';
import { el, replaceChildren } from '../dom.ts';
import { formatAgo, formatDuration, formatNumber, formatPercent, formatRul, formatTime } from '../format.ts';
import { hashFor, pumpHash } from '../router.ts';
import type { View } from '../view.ts';
import type { FleetFilter, SortOrder } from './fleet-model.ts';
import type { FleetSummary, TileInfo } from './fleet-renderer.ts';
import type { Viewport } from './tile-canvas.ts';

function parseStates(value: string | null): Set<TileState> {
  const wanted = new Set((value ?? '').split(','));
  return new Set(TILE_STATES.filter((s) => wanted.has(s)));
}

function countButtons(toggle: (state: TileState) => void) {
  const buttons = new Map<TileState, { button: HTMLButtonElement; count: Text }>();
  const group = el('div', { className: 'counts', attrs: { role: 'group', 'aria-label': 'Filter by state' } });
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
        on: { click: () => toggle(state) },
      },
      swatch,
      el('span', { className: 'label', text: TILE_COLOURS[state].label }),
      el('span', { className: 'n' }, count),
    );
    buttons.set(state, { button, count });
    group.append(button);
  }
  return { group, buttons };
}

function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function tooltipLines(tile: TileInfo): HTMLElement[] {
  const label = TILE_COLOURS[tile.tile].label;
  const last =
    tile.state && tile.state in TILE_COLOURS ? TILE_COLOURS[tile.state as TileState].label : undefined;
  const stateLine =
    tile.tile === 'STALE' || tile.tile === 'OFFLINE' ? `${label}${last ? `, last ${last}` : ''}` : label;
  return [
    el('strong', { text: tile.id }),
    el('span', { text: stateLine }),
    el('span', { text: `risk ${formatPercent(tile.risk, 1)}` }),
    ...(tile.rulH === undefined
      ? []
      : [el('span', { text: `remaining useful life ${formatRul(tile.rulH, true)}` })]),
    el('span', { text: `last seen ${formatTime(tile.ts)} (${formatAgo(tile.ts)})` }),
  ];
}

export const fleetView: View = (root, { live, route }) => {
  let filter: FleetFilter = {
    pattern: route.query.get('pattern') ?? '',
    states: parseStates(route.query.get('state')),
    sort: route.query.get('sort') === 'id' ? 'id' : 'risk',
  };

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
  pattern.value = filter.pattern;
  const sort = el(
    'select',
    { attrs: { id: 'fleet-sort' } },
    el('option', { text: 'risk, P(faulty) + P(broken)', attrs: { value: 'risk' } }),
    el('option', { text: 'pump id', attrs: { value: 'id' } }),
  );
  sort.value = filter.sort;
  const summaryText = el('span', { className: 'summary', attrs: { 'aria-live': 'polite' } });
  const counts = countButtons((state) => {
    const states = new Set(filter.states);
    if (states.has(state)) states.delete(state);
    else states.add(state);
    setFilter({ states });
  });
  const note = el('p', { className: 'note' });
  const status = el('div');
  const canvas = el('canvas', {
    className: 'tiles',
    attrs: { 'aria-label': 'Pumps as tiles; hover one for its pump' },
  });
  const tooltip = el('div', { className: 'tooltip', attrs: { role: 'tooltip', hidden: '' } });
  const wrap = el('div', { className: 'tiles-wrap' }, canvas, tooltip);
  const empty = el('p', { className: 'empty', attrs: { hidden: '' } });
  const section = el(
    'section',
    { className: 'view fleet', attrs: { 'aria-label': 'Fleet' } },
    el(
      'div',
      { className: 'toolbar' },
      el('label', { attrs: { for: 'fleet-pattern' } }, 'Pumps matching ', pattern),
      el('span', { className: 'help', attrs: { id: 'fleet-pattern-help' }, text: '* any characters, ? one' }),
      el('label', { attrs: { for: 'fleet-sort' } }, 'Sorted by ', sort),
      summaryText,
    ),
    counts.group,
    note,
    status,
    wrap,
    empty,
  );
  replaceChildren(root, section);

  function viewport(): Viewport {
    const top = canvas.getBoundingClientRect().top + window.scrollY;
    return {
      width: wrap.clientWidth,
      targetHeight: Math.max(240, window.innerHeight - top - 24),
      devicePixelRatio: window.devicePixelRatio || 1,
    };
  }

  function setFilter(
    change: Partial<{ pattern: string; states: ReadonlySet<TileState>; sort: SortOrder }>,
  ): void {
    filter = { ...filter, ...change };
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
    live.setFleetFilter(filter);
  }

  function showFilter(): void {
    for (const [state, { button }] of counts.buttons) {
      button.setAttribute('aria-pressed', String(filter.states.has(state)));
    }
  }

  function show(summary: FleetSummary): void {
    status.replaceChildren();
    for (const [state, { count }] of counts.buttons) {
      const text = formatNumber(summary.counts[state]);
      if (count.data !== text) count.data = text;
    }
    summaryText.textContent = `${formatNumber(summary.shown)} of ${formatNumber(summary.total)} pumps · updated ${formatTime(summary.generatedAt)}`;
    // Once a second: only what changed is touched, and nothing here reads the layout (that would force it).
    setText(
      note,
      `A pump with no prediction for ${formatDuration(summary.staleAfterMs)} is stale, ` +
        `and offline after ${formatDuration(summary.offlineAfterMs)}. Hover a tile for its pump; click to open it.`,
    );
    empty.hidden = summary.shown > 0;
    setText(
      empty,
      summary.total === 0 ? 'No pump has sent a prediction yet.' : 'No pump matches this filter.',
    );
    const { layout } = summary;
    if (layout && canvas.dataset.height !== String(layout.height)) {
      // The width is the wrapper's (CSS); the worker sized the pixels for it.
      canvas.style.height = `${layout.height}px`;
      canvas.dataset.height = String(layout.height);
    }
    if (layout) {
      canvas.dataset.tileSize = String(layout.size);
      canvas.dataset.cols = String(layout.cols);
    }
    // For the browser tests and the benchmark: when the fleet last changed on screen, and how big it is.
    section.dataset.total = String(summary.total);
    section.dataset.generatedAt = String(summary.generatedAt);
    if (pointer) void hover(pointer.x, pointer.y);
  }

  /** The pointer's place, while it is over the canvas; the worker says what tile is there. */
  let pointer: { x: number; y: number } | undefined;
  let asking = false;
  async function hover(x: number, y: number): Promise<void> {
    if (asking) return;
    asking = true;
    const tile = await live.tileAt(x, y);
    asking = false;
    if (!pointer) return;
    if (pointer.x !== x || pointer.y !== y) {
      void hover(pointer.x, pointer.y);
      return;
    }
    canvas.classList.toggle('pointing', tile !== undefined);
    if (!tile) {
      tooltip.hidden = true;
      return;
    }
    replaceChildren(tooltip, ...tooltipLines(tile));
    tooltip.hidden = false;
    const left = Math.min(
      tile.box.x + tile.box.size + 4,
      Math.max(0, wrap.clientWidth - tooltip.offsetWidth),
    );
    tooltip.style.left = `${left}px`;
    tooltip.style.top = `${tile.box.y + tile.box.size + 4}px`;
  }

  let patternTimer: ReturnType<typeof setTimeout> | undefined;
  pattern.addEventListener('input', () => {
    clearTimeout(patternTimer);
    patternTimer = setTimeout(() => setFilter({ pattern: pattern.value.trim() }), 150);
  });
  sort.addEventListener('change', () => setFilter({ sort: sort.value === 'id' ? 'id' : 'risk' }));
  canvas.addEventListener('mousemove', (event) => {
    pointer = { x: event.offsetX, y: event.offsetY };
    void hover(pointer.x, pointer.y);
  });
  canvas.addEventListener('mouseleave', () => {
    pointer = undefined;
    tooltip.hidden = true;
  });
  canvas.addEventListener('click', async (event) => {
    const tile = await live.tileAt(event.offsetX, event.offsetY);
    if (tile) location.hash = pumpHash(tile.id);
  });

  const stops = [
    live.on('fleetSummary', show),
    live.on('fleetFailed', (failure) => {
      status.replaceChildren(
        errorBox(
          'The fleet could not be loaded',
          new ApiError(failure.message, failure.status, failure.problems),
        ),
      );
    }),
  ];
  showFilter();
  if (typeof canvas.transferControlToOffscreen !== 'function') {
    status.replaceChildren(
      errorBox(
        'The fleet cannot be drawn',
        new Error(
          'this browser has no OffscreenCanvas (Chrome or Edge 69, Firefox 105, Safari 16.4 or later)',
        ),
      ),
    );
    return () => {};
  }
  live.attachFleet(canvas.transferControlToOffscreen(), viewport(), filter);
  let lastWidth = wrap.clientWidth;
  const resizer = new ResizeObserver(() => {
    if (Math.abs(wrap.clientWidth - lastWidth) < 1) return;
    lastWidth = wrap.clientWidth;
    live.resizeFleet(viewport());
  });
  resizer.observe(wrap);

  return () => {
    for (const stop of stops) stop();
    resizer.disconnect();
    clearTimeout(patternTimer);
    live.detachFleet();
  };
};
