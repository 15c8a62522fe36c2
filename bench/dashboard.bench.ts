/** Issue 12 figures: the dashboard's API over HTTP, and its live path with 10,000 pumps at 1 Hz. */
import { benchFleetApi } from '@pdm/dashboard/bench/api';
import { benchLive } from '@pdm/dashboard/bench/live';
import { type BenchRow, formatNumber } from './table.ts';

const ms = (x: number) => `${formatNumber(x, x < 10 ? 1 : 0)} ms`;
const kib = (bytes: number) => `${formatNumber(bytes / 1024)} KiB`;

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

export const dashboardBenchmarks = { dashboardLive, dashboardFleet };
