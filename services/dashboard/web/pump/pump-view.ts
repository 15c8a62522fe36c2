/**
 * The pump view (#/pump/<id>): the nine channels over a chosen range, vibration against the ISO 10816 zones,
 * the predicted states and class probabilities with the alerts marked, and the last predictions. In live mode
 * the SSE samples and predictions extend it every second.
 */
import { CHANNEL_INFO, type Channel } from '@pdm/contract/channels';
import { ISO_ZONES, PUMP_STATES } from '@pdm/contract/states';
import type {
  AlertRow,
  PredictionRow,
  PredictionsResponse,
  SeriesPoint,
  SeriesResponse,
  StatesResponse,
} from '../../src/api/contract.ts';
import { errorBox, getJson, isAbort } from '../api.ts';
import { ISO_ZONE_FILLS, ISO_ZONE_MEANING } from '../colours.ts';
import { el, link, replaceChildren } from '../dom.ts';
import {
  formatDateTime,
  formatNumber,
  formatRul,
  formatTime,
  fromLocalInput,
  toLocalInput,
} from '../format.ts';
import { hashFor } from '../router.ts';
import { stateBadge } from '../state-badge.ts';
import type { View } from '../view.ts';
import {
  type Chart,
  type ChartFrame,
  channelChart,
  probabilityChart,
  rulChart,
  stateStrip,
  vibrationChart,
} from './charts.ts';
import {
  appendPrediction,
  appendSample,
  channelDataFrom,
  LIVE_WINDOW_MS,
  type PumpRange,
  RANGES,
  type RangeKind,
  resolveRange,
  stateDataFrom,
  trimChannels,
  trimStates,
} from './pump-data.ts';

const SMALL_CHANNELS: readonly Channel[] = ['temperature', 'pressure', 'flow', 'current', 'rpm'];
const CHANNEL_TITLES: Readonly<Record<Channel, string>> = {
  vibration_x: 'Vibration x',
  vibration_y: 'Vibration y',
  vibration_z: 'Vibration z',
  vibration_rms: 'Vibration',
  temperature: 'Bearing temperature',
  pressure: 'Discharge pressure',
  flow: 'Flow',
  current: 'Motor current',
  rpm: 'Shaft speed',
};
const TABLE_ROWS = 50;
/** The RUL's place among a prediction row's cells: after time, seq, two states, the probabilities, vibration, zone and latency. */
const RUL_CELL = 4 + PUMP_STATES.length + 3;

function rangePicker(id: string, range: PumpRange): HTMLElement {
  const kinds: RangeKind[] = [...(Object.keys(RANGES) as (keyof typeof RANGES)[]), 'custom'];
  const links = kinds.map((kind) => {
    const label = kind === 'custom' ? 'custom' : RANGES[kind].label;
    const a = link(hashFor('pump', [id], { range: kind === 'live' ? undefined : kind }), label, 'range');
    if (kind === range.kind) a.setAttribute('aria-current', 'true');
    return a;
  });
  const now = Date.now();
  const fromInput = el('input', { attrs: { type: 'datetime-local', id: 'range-from', required: '' } });
  const toInput = el('input', { attrs: { type: 'datetime-local', id: 'range-to', required: '' } });
  fromInput.value = toLocalInput(typeof range.from === 'number' ? range.from : now - 3_600_000);
  toInput.value = toLocalInput(typeof range.to === 'number' ? range.to : now);
  const custom = el(
    'form',
    {
      className: 'custom-range',
      on: {
        submit: (event) => {
          event.preventDefault();
          location.hash = hashFor('pump', [id], {
            range: 'custom',
            from: String(fromLocalInput(fromInput.value) ?? ''),
            to: String(fromLocalInput(toInput.value) ?? ''),
          });
        },
      },
    },
    el('label', { attrs: { for: 'range-from' } }, 'from ', fromInput),
    el('label', { attrs: { for: 'range-to' } }, 'to ', toInput),
    el('button', { text: 'Show', attrs: { type: 'submit' } }),
  );
  return el('nav', { className: 'range-picker', attrs: { 'aria-label': 'Time range' } }, ...links, custom);
}

function isoLegend(isoClass: string, bounds: readonly [number, number, number]): HTMLElement {
  const edges = [0, ...bounds];
  return el(
    'ul',
    { className: 'legend', attrs: { 'aria-label': `ISO 10816 zones, ${isoClass}` } },
    ...ISO_ZONES.map((zone, i) => {
      const swatch = el('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
      swatch.style.background = ISO_ZONE_FILLS[zone];
      const hi = bounds[i];
      const span = hi === undefined ? `≥ ${edges[i]}` : `${edges[i]}–${hi}`;
      return el('li', {}, swatch, `${zone}: ${span} mm/s, ${ISO_ZONE_MEANING[zone]}`);
    }),
  );
}

function predictionCells(row: PredictionRow): HTMLTableCellElement[] {
  const cells = [
    formatTime(row.ts),
    formatNumber(row.seq),
    stateBadge(row.state),
    stateBadge(row.rawState),
    ...PUMP_STATES.map((s) => formatNumber(row.probabilities[s] ?? 0, 2)),
    formatNumber(row.vibrationRms, 2),
    row.isoZone,
    formatNumber(row.latencyMs, 1),
    formatRul(row.rulH),
    row.modelVersion,
  ];
  return cells.map((c, i) => el('td', i === RUL_CELL ? { className: 'rul-col' } : {}, c));
}

function figure(title: string, ...children: (Node | null)[]): HTMLElement {
  return el('figure', { className: 'chart' }, el('figcaption', { text: title }), ...children);
}

export const pumpView: View = (root, { live, route }) => {
  const id = route.params[0];
  if (id === undefined) {
    replaceChildren(
      root,
      el(
        'section',
        { className: 'view pump' },
        el('p', {}, 'Pick a pump on the ', link(hashFor('fleet'), 'fleet view'), '.'),
      ),
    );
    return () => {};
  }
  const range = resolveRange(route.query, Date.now());
  const controller = new AbortController();
  const badge = el('span', { className: 'current-state' });
  const status = el('div', { className: 'status', text: 'Loading…' });
  const charts = el('div', { className: 'charts' });
  const tableBody = el('tbody');
  const predictionTable = el(
    'table',
    { className: 'predictions' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...[
          'time',
          'seq',
          'state',
          'raw state',
          ...PUMP_STATES.map((s) => `P(${s.toLowerCase()})`),
          'vibration mm/s',
          'ISO zone',
          'latency ms',
          'RUL',
          'model',
        ].map((h, i) =>
          el('th', { text: h, attrs: { scope: 'col' }, ...(i === RUL_CELL ? { className: 'rul-col' } : {}) }),
        ),
      ),
    ),
    tableBody,
  );
  const section = el(
    'section',
    { className: 'view pump', attrs: { 'aria-label': `Pump ${id}` } },
    el('div', { className: 'pump-header' }, el('h2', { text: id }), badge, rangePicker(id, range)),
    status,
    charts,
    el('h3', { text: 'Last predictions' }),
    el('div', { className: 'table-scroll' }, predictionTable),
  );
  replaceChildren(root, section);

  const frame: ChartFrame = {
    from: typeof range.from === 'number' ? range.from : 0,
    to: typeof range.to === 'number' ? range.to : 0,
    alerts: [],
  };
  const built: { chart: Chart; target: HTMLElement }[] = [];
  let tableRows: PredictionRow[] = [];
  let onData: (() => void) | undefined;
  let liveSamples: ((point: SeriesPoint) => void) | undefined;
  let livePredictions: ((row: PredictionRow) => void) | undefined;

  function showPredictions(): void {
    tableBody.replaceChildren(...tableRows.map((row) => el('tr', {}, ...predictionCells(row))));
    // The RUL column only while some row has one: without a RUL model it would be a column of dashes.
    predictionTable.classList.toggle('no-rul', !tableRows.some((row) => row.rulH !== undefined));
    const latest = tableRows[0];
    const rul =
      latest?.rulH === undefined
        ? []
        : [
            ' ',
            el('span', {
              className: 'rul',
              text: `RUL ${formatRul(latest.rulH)}`,
              attrs: { title: 'remaining useful life' },
            }),
          ];
    badge.replaceChildren(...(latest ? ['now ', stateBadge(latest.state), ...rul] : []));
  }

  function build(series: SeriesResponse, states: StatesResponse, predictions: PredictionsResponse): void {
    const bucketed = series.bucketMs > 0;
    const channelData = channelDataFrom(series);
    const stateData = stateDataFrom(states);
    frame.alerts = [...states.alerts];
    tableRows = [...predictions.rows];
    showPredictions();
    const resolution = bucketed
      ? `min and max per ${formatNumber(series.bucketMs / 1000)} s`
      : 'every sample';
    status.textContent =
      `${formatDateTime(series.from)} to ${formatDateTime(series.to)}, ${resolution}` +
      (range.live ? ', live' : '') +
      (series.t.length === 0 ? ' · no samples in this range' : '');

    const vibrationTarget = el('div', { className: 'plot' });
    const stripTarget = el('div', { className: 'plot' });
    const probabilityTarget = el('div', { className: 'plot' });
    // Only where a RUL model served in the range, or serves now.
    const withRul = states.rulH.some((v) => v !== null) || tableRows[0]?.rulH !== undefined;
    const rulTarget = el('div', { className: 'plot rul-plot' });
    const smallTargets = SMALL_CHANNELS.map(() => el('div', { className: 'plot' }));
    replaceChildren(
      charts,
      figure(
        `Vibration velocity RMS, mm/s, against ISO 10816 (${series.isoClass})`,
        isoLegend(series.isoClass, series.isoBounds),
        vibrationTarget,
      ),
      figure('Predicted state: smoothed and raw, alerts marked', stripTarget),
      figure('Class probabilities', probabilityTarget),
      withRul && figure('Remaining useful life, hours (per bucket the lowest)', rulTarget),
      el(
        'div',
        { className: 'small-charts' },
        ...SMALL_CHANNELS.map((c, i) =>
          figure(`${CHANNEL_TITLES[c]}, ${CHANNEL_INFO[c].unit}`, smallTargets[i] as HTMLElement),
        ),
      ),
    );
    const wide = vibrationTarget.clientWidth;
    built.push(
      {
        chart: vibrationChart(vibrationTarget, frame, channelData, series.isoBounds, {
          bucketed,
          width: wide,
          height: 260,
        }),
        target: vibrationTarget,
      },
      { chart: stateStrip(stripTarget, frame, stateData, wide), target: stripTarget },
      { chart: probabilityChart(probabilityTarget, frame, stateData, wide), target: probabilityTarget },
      ...(withRul ? [{ chart: rulChart(rulTarget, frame, stateData, wide), target: rulTarget }] : []),
      ...SMALL_CHANNELS.map((c, i) => {
        const target = smallTargets[i] as HTMLElement;
        return {
          chart: channelChart(target, frame, channelData, [c], {
            bucketed,
            width: target.clientWidth,
            height: 150,
          }),
          target,
        };
      }),
    );
    if (range.live) {
      onData = () => {
        frame.to = Date.now();
        frame.from = frame.to - LIVE_WINDOW_MS;
        trimChannels(channelData, frame.from);
        trimStates(stateData, frame.from);
        frame.alerts = frame.alerts.filter((a) => a.ts >= frame.from);
        for (const { chart } of built) chart.refresh();
      };
      liveSamples = (point) => {
        appendSample(channelData, point);
      };
      livePredictions = (row) => {
        if (!appendPrediction(stateData, row)) return;
        tableRows = [row, ...tableRows].slice(0, TABLE_ROWS);
        showPredictions();
      };
    }
  }

  const stops: (() => void)[] = [];
  if (range.live) {
    live.follow(id);
    stops.push(
      live.on('sample', (point) => liveSamples?.(point)),
      live.on('prediction', (row) => {
        if (row.pumpId === id) livePredictions?.(row);
      }),
      live.on('alert', (alert: AlertRow) => {
        if (alert.pumpId === id) frame.alerts.push(alert);
      }),
      () => live.follow(undefined),
    );
    // The window moves on and the new points are drawn once a second, however many arrived.
    const tick = setInterval(() => onData?.(), 1000);
    stops.push(() => clearInterval(tick));
  }

  const resizer = new ResizeObserver(() => {
    for (const { chart, target } of built) {
      const width = target.clientWidth;
      if (width > 0 && Math.abs(width - chart.plot.width) >= 1) {
        chart.plot.setSize({ width, height: chart.plot.height });
      }
    }
  });
  resizer.observe(charts);

  const query = { from: range.from, to: range.to };
  const path = `/api/pumps/${encodeURIComponent(id)}`;
  Promise.all([
    getJson<SeriesResponse>(`${path}/series`, query, controller.signal),
    getJson<StatesResponse>(`${path}/states`, query, controller.signal),
    getJson<PredictionsResponse>(
      `${path}/predictions`,
      { limit: TABLE_ROWS, before: range.live ? undefined : range.to },
      controller.signal,
    ),
  ])
    .then(([series, states, predictions]) => build(series, states, predictions))
    .catch((err: unknown) => {
      if (!isAbort(err)) status.replaceChildren(errorBox(`Pump ${id} could not be loaded`, err));
    });

  return () => {
    controller.abort();
    resizer.disconnect();
    for (const stop of stops) stop();
    for (const { chart } of built) chart.plot.destroy();
  };
};
