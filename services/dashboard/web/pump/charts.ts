/**
 * The pump view's uPlot charts: shared time axis and cursor, min/max bands where the server bucketed, the
 * ISO 10816 zone bands behind vibration, a state strip, and alerts marked on the time axis of each chart.
 */
import { CHANNEL_INFO, type Channel } from '@pdm/contract/channels';
import { ISO_ZONES, PUMP_STATES } from '@pdm/contract/states';
import uPlot from 'uplot';
import type { AlertRow } from '../../src/api/contract.ts';
import {
  ISO_ZONE_FILLS,
  RUL_COLOUR,
  SERIES_COLOURS,
  stateColour,
  TILE_COLOURS,
  withAlpha,
} from '../colours.ts';
import { formatNumber, formatPercent, formatRul } from '../format.ts';

/** The y axes' width, the same on every chart so that their time axes line up. */
const Y_AXIS_PX = 80;
const SYNC_KEY = 'pump';

/** What every chart of one pump view shares: the time window and the alerts to mark. */
export interface ChartFrame {
  /** the x range, epoch ms; moved forward every second in live mode */
  from: number;
  to: number;
  alerts: AlertRow[];
}

/** A chart and how to draw it again after its data arrays changed in place. */
export interface Chart {
  readonly plot: uPlot;
  refresh(): void;
}

function chart(opts: uPlot.Options, columns: uPlot.AlignedData, target: HTMLElement): Chart {
  const plot = new uPlot(opts, columns, target);
  return { plot, refresh: () => plot.setData(columns) };
}

/** uPlot's time templates with a 24-hour clock and ISO dates, as plants read them. */
function fmtDate(template: string): (date: Date) => string {
  const iso =
    template === '{h}{aa}'
      ? '{HH}:00'
      : template
          .replace(/\{h\}/g, '{HH}')
          .replace(/\{aa\}/g, '')
          .replace(/\{M\}\/\{D\}\/\{YY\}/g, '{YYYY}-{MM}-{DD}')
          .replace(/\{M\}\/\{D\}/g, '{MM}-{DD}');
  return uPlot.fmtDate(iso);
}

function baseOptions(frame: ChartFrame, width: number, height: number): uPlot.Options {
  return {
    width,
    height,
    ms: 1,
    fmtDate,
    series: [{}],
    scales: { x: { time: true, range: () => [frame.from, frame.to] } },
    axes: [{}, { size: Y_AXIS_PX }],
    cursor: { sync: { key: SYNC_KEY }, drag: { x: false, y: false } },
    legend: { live: true },
    plugins: [alertMarks(frame)],
  };
}

/**
 * Alerts as vertical marks with a flag on the time axis: alarms in their state's colour, recoveries green,
 * a low remaining useful life in the RUL line's blue.
 */
function alertMarks(frame: ChartFrame): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const { ctx } = u;
        const { left, top, width, height } = u.bbox;
        const dpr = uPlot.pxRatio;
        ctx.save();
        for (const alert of frame.alerts) {
          if (alert.ts < frame.from || alert.ts > frame.to) continue;
          const x = Math.round(u.valToPos(alert.ts, 'x', true));
          if (x < left || x > left + width) continue;
          const colour =
            alert.kind === 'alarm'
              ? stateColour(alert.state)
              : alert.kind === 'rul_low'
                ? RUL_COLOUR
                : TILE_COLOURS.HEALTHY.fill;
          ctx.strokeStyle = colour;
          ctx.lineWidth = 1.5 * dpr;
          ctx.setLineDash([4 * dpr, 3 * dpr]);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.fillStyle = colour;
          ctx.beginPath();
          ctx.moveTo(x - 5 * dpr, top + height + 8 * dpr);
          ctx.lineTo(x + 5 * dpr, top + height + 8 * dpr);
          ctx.lineTo(x, top + height);
          ctx.closePath();
          ctx.fill();
        }
        ctx.restore();
      },
    },
  };
}

/** Columnar data of one channel chart: time, then the maxima and, when bucketed, the minima. */
export interface ChannelData {
  readonly t: number[];
  readonly min: Record<Channel, number[]>;
  readonly max: Record<Channel, number[]>;
}

function channelLabel(channel: Channel): string {
  return channel.replace('_', ' ');
}

function valueFormatter(channel: Channel): (u: uPlot, v: number | null) => string {
  const digits = Math.min(2, CHANNEL_INFO[channel].decimals);
  return (_u, v) => (v === null ? '—' : `${formatNumber(v, digits)} ${CHANNEL_INFO[channel].unit}`);
}

export interface ChannelChartOptions {
  /** the server sent min/max per bucket (bucketMs > 0) rather than every sample */
  readonly bucketed: boolean;
  readonly width: number;
  readonly height: number;
  /** the channels whose minima are drawn too, with the band to their maxima; default: every one */
  readonly withMinima?: readonly Channel[];
}

/**
 * A chart of some channels. Bucketed data (bucketMs > 0) draws each channel's maxima and, for the channels
 * in `withMinima`, the minima with the band between them filled; raw samples draw one line each.
 */
export function channelChart(
  target: HTMLElement,
  frame: ChartFrame,
  data: ChannelData,
  channels: readonly Channel[],
  options: ChannelChartOptions,
  extend: (opts: uPlot.Options) => void = () => {},
): Chart {
  const opts = baseOptions(frame, options.width, options.height);
  const columns: number[][] = [data.t];
  const withMinima = options.withMinima ?? channels;
  channels.forEach((channel, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length] as string;
    const value = valueFormatter(channel);
    opts.series.push({
      label: options.bucketed ? `${channelLabel(channel)} max` : channelLabel(channel),
      stroke: colour,
      width: channel === 'vibration_rms' ? 2 : 1.25,
      value,
    });
    columns.push(data.max[channel]);
    if (options.bucketed && withMinima.includes(channel)) {
      opts.series.push({
        label: `${channelLabel(channel)} min`,
        stroke: withAlpha(colour, 0.6),
        width: 1,
        value,
      });
      columns.push(data.min[channel]);
      const maxIdx = opts.series.length - 2;
      opts.bands = [...(opts.bands ?? []), { series: [maxIdx, maxIdx + 1], fill: withAlpha(colour, 0.15) }];
    }
  });
  const unit = CHANNEL_INFO[channels[0] as Channel].unit;
  opts.axes = [{}, { size: Y_AXIS_PX, label: unit, labelSize: 16 }];
  extend(opts);
  return chart(opts, columns as uPlot.AlignedData, target);
}

/**
 * Vibration against the ISO 10816 zones: the bands A–D drawn behind the lines (drawClear hook) from the
 * response's bounds, and the y axis reaching into zone D so that every zone can be seen.
 */
export function vibrationChart(
  target: HTMLElement,
  frame: ChartFrame,
  data: ChannelData,
  isoBounds: readonly [number, number, number],
  options: Omit<ChannelChartOptions, 'withMinima'>,
): Chart {
  const channels: Channel[] = ['vibration_rms', 'vibration_x', 'vibration_y', 'vibration_z'];
  // The overall RMS, which ISO 10816 grades, with its band; the axes' maxima only, to keep it readable.
  const withRmsBand = { ...options, withMinima: ['vibration_rms'] as const };
  return channelChart(target, frame, data, channels, withRmsBand, (opts) => {
    const top = isoBounds[2] * 1.3;
    opts.scales = { ...opts.scales, y: { range: (_u, _min, max) => [0, Math.max(top, (max ?? 0) * 1.08)] } };
    opts.hooks = { drawClear: [(u) => drawIsoBands(u, isoBounds)] };
  });
}

function drawIsoBands(u: uPlot, bounds: readonly [number, number, number]): void {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const edges = [0, ...bounds, Number.POSITIVE_INFINITY];
  ctx.save();
  ISO_ZONES.forEach((zone, i) => {
    const scaleMax = u.scales.y?.max ?? 0;
    const lo = edges[i] as number;
    const hi = Math.min(edges[i + 1] as number, scaleMax);
    if (hi <= lo) return;
    const y0 = Math.round(u.valToPos(hi, 'y', true));
    const y1 = Math.round(u.valToPos(lo, 'y', true));
    ctx.fillStyle = ISO_ZONE_FILLS[zone];
    ctx.fillRect(left, Math.max(top, y0), width, Math.min(top + height, y1) - Math.max(top, y0));
    ctx.fillStyle = '#555555';
    ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    ctx.fillText(`zone ${zone}`, left + width - 52 * uPlot.pxRatio, Math.max(top, y0) + 3 * uPlot.pxRatio);
  });
  ctx.restore();
}

/** Columnar state timelines: index into PUMP_STATES, -1 where a bucket holds no prediction. */
export interface StateData {
  readonly t: number[];
  readonly state: number[];
  readonly rawState: number[];
  readonly probabilities: Record<(typeof PUMP_STATES)[number], (number | null)[]>;
  /** remaining useful life, hours (per bucket the lowest); null where none */
  readonly rulH: (number | null)[];
  /** the bucket width, 0 for one prediction per point */
  bucketMs: number;
}

function stateName(v: number | null): string {
  return v === null || v < 0 ? '—' : (PUMP_STATES[v] ?? '—');
}

/** Two strips, smoothed above raw, each bucket painted in its state's colour. */
export function stateStrip(target: HTMLElement, frame: ChartFrame, data: StateData, width: number): Chart {
  const opts = baseOptions(frame, width, 96);
  opts.series.push(
    { label: 'smoothed', value: (_u, v) => stateName(v), paths: () => null, points: { show: false } },
    { label: 'raw', value: (_u, v) => stateName(v), paths: () => null, points: { show: false } },
  );
  opts.scales = { ...opts.scales, y: { range: [0, 2] } };
  opts.axes = [
    {},
    { size: Y_AXIS_PX, splits: () => [0.5, 1.5], values: () => ['raw', 'smoothed'], grid: { show: false } },
  ];
  opts.hooks = { drawClear: [(u) => paintStates(u, data)] };
  return chart(opts, [data.t, data.state, data.rawState] as uPlot.AlignedData, target);
}

function paintStates(u: uPlot, data: StateData): void {
  const { ctx } = u;
  const { t } = data;
  const n = t.length;
  if (n === 0) return;
  const step =
    data.bucketMs > 0 ? data.bucketMs : n > 1 ? ((t[n - 1] as number) - (t[0] as number)) / (n - 1) : 1000;
  const rows: [number[], number][] = [
    [data.state, 1],
    [data.rawState, 0],
  ];
  ctx.save();
  for (const [states, row] of rows) {
    const yTop = Math.round(u.valToPos(row + 0.9, 'y', true));
    const yBottom = Math.round(u.valToPos(row + 0.1, 'y', true));
    for (let i = 0; i < n; i++) {
      const s = states[i] as number;
      if (s < 0) continue;
      const start = t[i] as number;
      // A gap longer than a few steps is a silence, left blank rather than painted over.
      const next = i + 1 < n ? (t[i + 1] as number) : start + step;
      const end = next - start > 3 * step ? start + step : next;
      const x0 = Math.round(u.valToPos(start, 'x', true));
      const x1 = Math.max(x0 + 1, Math.round(u.valToPos(end, 'x', true)));
      ctx.fillStyle = stateColour(PUMP_STATES[s] ?? 'HEALTHY');
      ctx.fillRect(x0, yTop, x1 - x0, yBottom - yTop);
    }
  }
  ctx.restore();
}

/** Class probabilities as lines in their states' colours (per bucket the highest). */
export function probabilityChart(
  target: HTMLElement,
  frame: ChartFrame,
  data: StateData,
  width: number,
): Chart {
  const opts = baseOptions(frame, width, 160);
  for (const state of PUMP_STATES) {
    opts.series.push({
      label: `P(${TILE_COLOURS[state].label})`,
      stroke: stateColour(state),
      width: 1.5,
      value: (_u, v) => formatPercent(v),
    });
  }
  opts.scales = { ...opts.scales, y: { range: [0, 1] } };
  opts.axes = [{}, { size: Y_AXIS_PX, values: (_u, splits) => splits.map((v) => formatPercent(v)) }];
  return chart(opts, [data.t, ...PUMP_STATES.map((s) => data.probabilities[s])] as uPlot.AlignedData, target);
}

/** The remaining useful life in hours, from zero up: the line a planner watches fall. */
export function rulChart(target: HTMLElement, frame: ChartFrame, data: StateData, width: number): Chart {
  const opts = baseOptions(frame, width, 160);
  opts.series.push({
    label: 'remaining useful life',
    stroke: RUL_COLOUR,
    width: 2,
    value: (_u, v) => formatRul(v),
  });
  opts.scales = { ...opts.scales, y: { range: (_u, _min, max) => [0, Math.max(1e-3, (max ?? 0) * 1.08)] } };
  opts.axes = [{}, { size: Y_AXIS_PX, label: 'h', labelSize: 16 }];
  return chart(opts, [data.t, data.rulH] as uPlot.AlignedData, target);
}
