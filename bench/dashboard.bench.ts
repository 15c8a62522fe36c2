/** Issue 12 figures: the dashboard's API over HTTP, and its live path with 10,000 pumps at 1 Hz. */
import { benchFleetApi, benchSeriesApi } from '@pdm/dashboard/bench/api';
import { benchLive } from '@pdm/dashboard/bench/live';
import { type BenchRow, formatNumber } from './table.ts';

const ms = (x: number) => `${formatNumber(x, x < 10 ? 1 : 0)} ms`;
const kib = (bytes: number) => `${formatNumber(bytes / 1024)} KiB`;
const cpu = (t: { cpuMs: number | undefined }) =>
  t.cpuMs === undefined ? '' : `; server CPU ${ms(t.cpuMs)}/request`;

/** The MQTT handler per prediction, and the once-a-second fleet delta, in process. */
async function dashboardLive(): Promise<BenchRow[]> {
  const f = benchLive(10_000, 20);
  const perSecond = 1e6 / f.handlerUs;
  return [
    {
      benchmark: `dashboard live intake: one prediction message (validate, fleet state, scoring), ${formatNumber(f.pumps)} pumps, ${formatNumber(f.messages)} messages`,
      figure: `${formatNumber(f.handlerUs, 1)} µs/msg (${formatNumber(perSecond)} msg/s on one core)`,
      target: '≥ 10,000 msg/s (10,000 pumps at 1 Hz)',
      baseline: `validateMessage alone: ${formatNumber(f.validationUs, 1)} µs/msg`,
      ok: perSecond >= 10_000,
    },
    {
      benchmark: `dashboard SSE fleet delta, every one of ${formatNumber(f.pumps)} tiles changed (once a second at most)`,
      figure: `${ms(f.deltaMs)}, ${kib(f.deltaBytes)}`,
      target: '',
      ok: undefined,
    },
  ];
}

/** GET /api/fleet with 10,000 pumps, from the service as a process fed over a real Mosquitto. */
async function dashboardFleet(): Promise<BenchRow> {
  const t = await benchFleetApi(10_000, 20);
  return {
    benchmark: `dashboard GET /api/fleet, ${formatNumber(t.pumps)} pumps (all tiles, sorted by risk), median / p95 of 20`,
    figure: `${ms(t.medianMs)} / ${ms(t.p95Ms)}, ${kib(t.bytes)}`,
    target: '',
    ok: undefined,
  };
}

/** GET /api/pumps/:id/series (and /states) over one pump's 24 h of 1 Hz data, from SQLite. */
async function dashboardSeries(): Promise<BenchRow[]> {
  const f = await benchSeriesApi(10);
  return [
    {
      benchmark: `dashboard GET /api/pumps/:id/series, 24 h of 1 Hz (${formatNumber(f.samples)} samples × 9 channels) from SQLite → ${formatNumber(f.series.points)} min/max points, median / p95 of 10`,
      figure: `${ms(f.series.medianMs)} / ${ms(f.series.p95Ms)}, ${kib(f.series.bytes)}${cpu(f.series)}`,
      target: '≤ 300 ms',
      baseline: `the same rows read from SQLite in process, no downsampling, no HTTP: ${ms(f.rawReadMs)} (CPU ${ms(f.rawReadCpuMs)})`,
      ok: f.series.p95Ms <= 300,
    },
    {
      benchmark: `dashboard GET /api/pumps/:id/states, 24 h of 1 Hz predictions, median / p95 of 10`,
      figure: `${ms(f.states.medianMs)} / ${ms(f.states.p95Ms)}, ${kib(f.states.bytes)}${cpu(f.states)}`,
      target: '',
      ok: undefined,
    },
  ];
}

export const dashboardBenchmarks = { dashboardLive, dashboardFleet, dashboardSeries };
