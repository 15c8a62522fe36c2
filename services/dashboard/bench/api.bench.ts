/**
 * The dashboard's API as a browser meets it: the service as a process, timed over HTTP. /api/fleet with
 * 10,000 pumps live from a real Mosquitto, and one pump's 24 h of 1 Hz samples from SQLite.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CHANNELS, type Prediction, PUMP_STATES, topics } from '@pdm/contract';
import { SampleStore } from '@pdm/store';
import { prediction, T0, telemetry } from '@pdm/store/testing';
import { freePort, type RunningService, startMosquitto, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import type { FleetResponse } from '../src/api/contract.ts';

const MODEL = resolve(import.meta.dirname, '../../../models/pump-state.onnx');

export interface Timing {
  readonly medianMs: number;
  readonly p95Ms: number;
  /** the body's size, bytes */
  readonly bytes: number;
  /**
   * the server's CPU time per request (user + system, from /proc): about what the wall time would be on
   * an idle machine, whatever else shares the cores; undefined where /proc is not there
   */
  readonly cpuMs: number | undefined;
}

/** A process's CPU time so far, ms (Linux /proc, in clock ticks of 10 ms). */
function cpuMsOf(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command's name.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** `requests` GETs one after the other, after two to warm up; `pid` is the server's, for its CPU time. */
export async function timeRequests(url: string, requests: number, pid?: number): Promise<Timing> {
  let bytes = 0;
  for (let i = 0; i < 2; i++) await (await fetch(url)).arrayBuffer();
  const cpuBefore = cpuMsOf(pid);
  const ms: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const response = await fetch(url);
    const body = await response.arrayBuffer();
    ms.push(performance.now() - started);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${Buffer.from(body).toString()}`);
    bytes = body.byteLength;
  }
  const cpuAfter = cpuMsOf(pid);
  ms.sort((a, b) => a - b);
  return {
    cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / requests,
    medianMs: ms[Math.floor(ms.length / 2)] as number,
    p95Ms: ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)] as number,
    bytes,
  };
}

/** The dashboard as a process on `broker`, reading `sqlitePath`; resolves once it serves and is subscribed. */
export async function startDashboard(
  brokerUrl: string,
  sqlitePath: string,
  cwd: string,
): Promise<{ service: RunningService; url: string }> {
  const service = startService(
    'dashboard',
    ['--http-port', '0'],
    {
      MQTT_URL: brokerUrl,
      SQLITE_PATH: sqlitePath,
      MODEL_PATH: MODEL,
      METRICS_URLS: `acquisition=http://127.0.0.1:${await freePort()}/metrics`,
    },
    { cwd },
  );
  const line = await service.waitForLine(/"dashboard listening"/, 60_000);
  return { service, url: (JSON.parse(line) as { url: string }).url };
}

export async function stopDashboard(service: RunningService): Promise<void> {
  if (service.child.exitCode !== null) return;
  service.signal('SIGTERM');
  await service.exited;
}

/** /api/fleet once `pumps` pumps each published a prediction. */
export async function benchFleetApi(
  pumps = 10_000,
  requests = 20,
): Promise<Timing & { readonly pumps: number }> {
  const broker = await startMosquitto();
  const cwd = mkdtempSync(join(tmpdir(), 'pdm-bench-dashboard-'));
  let dashboard: RunningService | undefined;
  try {
    const started = await startDashboard(broker.url, join(cwd, 'absent.sqlite'), cwd);
    dashboard = started.service;
    await dashboard.waitForLine(/"subscribed"/);
    const client = await mqtt.connectAsync(broker.url, {
      clientId: 'bench-dashboard-sender',
      protocolVersion: 5,
    });
    const now = Date.now();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < pumps; i++) {
      const id = `pump-${String(i).padStart(5, '0')}`;
      const risk = (i % 100) / 100;
      const p: Prediction = {
        pump_id: id,
        ts: now,
        seq: 1,
        state: PUMP_STATES[i % 4] as Prediction['state'],
        raw_state: PUMP_STATES[i % 4] as Prediction['state'],
        probabilities: { HEALTHY: 1 - risk, WARNING: 0, FAULTY: risk, BROKEN: 0 },
        vibration_rms: 2.5,
        iso_zone: 'B',
        model_version: 'bench#00000000',
        latency_ms: 1.2,
      };
      pending.push(client.publishAsync(topics.predictions(id), JSON.stringify(p), { qos: 1 }));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    await client.endAsync();
    const fleetUrl = new URL('/api/fleet', started.url).href;
    while (((await (await fetch(fleetUrl)).json()) as FleetResponse).total < pumps)
      await new Promise((r) => setTimeout(r, 200));
    return { ...(await timeRequests(fleetUrl, requests, dashboard.child.pid)), pumps };
  } finally {
    if (dashboard) await stopDashboard(dashboard);
    await broker.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

export interface SeriesFigures {
  readonly samples: number;
  readonly series: Timing & { readonly points: number };
  readonly states: Timing;
  /** the same rows read from the store in this process, no downsampling, no HTTP: the floor (wall, CPU) */
  readonly rawReadMs: number;
  readonly rawReadCpuMs: number;
}

const DAY_S = 86_400;
const PUMP = 'bench-pump';

/** A day of 1 Hz samples and predictions of one pump (and of a neighbour, so the index has work). */
function writeDay(path: string): void {
  const store = SampleStore.open(path, { durability: 'NORMAL' });
  try {
    for (let s = 0; s < DAY_S; s += 10_000) {
      const seconds = Array.from({ length: Math.min(10_000, DAY_S - s) }, (_, i) => T0 + (s + i) * 1000);
      store.write({
        samples: ['bench-other', PUMP].flatMap((id) =>
          seconds.map((ts) => ({ sample: telemetry(id, ts), source: 'telemetry' as const })),
        ),
        predictions: seconds.map((ts) => ({ prediction: prediction(PUMP, ts) })),
      });
    }
  } finally {
    store.close();
  }
}

function rawRead(path: string): { ms: number; cpuMs: number } {
  const store = SampleStore.open(path, { readonly: true });
  try {
    const ms: number[] = [];
    // Two reads to warm up, as the server's two warm-up requests do.
    for (let run = 0; run < 2; run++)
      for (const _ of store.iterateSampleValues(PUMP, T0, T0 + DAY_S * 1000, CHANNELS));
    const cpu = process.cpuUsage();
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      let rows = 0;
      for (const _ of store.iterateSampleValues(PUMP, T0, T0 + DAY_S * 1000, CHANNELS)) rows += 1;
      ms.push(performance.now() - started);
      if (rows !== DAY_S) throw new Error(`read ${rows} rows, expected ${DAY_S}`);
    }
    const used = process.cpuUsage(cpu);
    return { ms: ms.sort((a, b) => a - b)[2] as number, cpuMs: (used.user + used.system) / 1000 / 5 };
  } finally {
    store.close();
  }
}

/** GET /api/pumps/:id/series and /states over 24 h of 1 Hz data in SQLite, from the service as a process. */
export async function benchSeriesApi(requests = 10): Promise<SeriesFigures> {
  const broker = await startMosquitto();
  const cwd = mkdtempSync(join(tmpdir(), 'pdm-bench-dashboard-'));
  let dashboard: RunningService | undefined;
  try {
    const path = join(cwd, 'pdm.sqlite');
    writeDay(path);
    const raw = rawRead(path);
    const started = await startDashboard(broker.url, path, cwd);
    dashboard = started.service;
    const range = `from=${T0}&to=${T0 + DAY_S * 1000}`;
    const seriesUrl = new URL(`/api/pumps/${PUMP}/series?${range}`, started.url).href;
    const points = ((await (await fetch(seriesUrl)).json()) as { t: number[] }).t.length;
    const pid = dashboard.child.pid;
    const series = await timeRequests(seriesUrl, requests, pid);
    const statesUrl = new URL(`/api/pumps/${PUMP}/states?${range}`, started.url).href;
    const states = await timeRequests(statesUrl, requests, pid);
    return {
      samples: DAY_S,
      series: { ...series, points },
      states,
      rawReadMs: raw.ms,
      rawReadCpuMs: raw.cpuMs,
    };
  } finally {
    if (dashboard) await stopDashboard(dashboard);
    await broker.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}
