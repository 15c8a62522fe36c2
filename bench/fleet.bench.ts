/**
 * Issue 15: the whole pipeline on one machine, end to end. Mosquitto (the repo's limits), acquisition
 * storing production telemetry in SQLite, inference with the shipped model, and the production simulator
 * with the ground truth, at a fleet size for a while; an independent subscriber takes every prediction.
 * A step passes when nothing is lost (every telemetry sample stored once and predicted once), no backlog
 * is left when the fleet stops, and the p99 latency from a sample's device time to its prediction's
 * arrival at the subscriber is at most 2 s.
 *
 * The steps come from FLEET_PUMPS (comma-separated sizes, default 1000), FLEET_SECONDS (default 60) and
 * FLEET_GATEWAY_SIZE (default 0, per-pump topics; K sends each gateway's telemetry and its ground truth as
 * one message each per interval, as the production simulator's --gateway-size does). A harness that runs
 * one step for now: the steps up to 15,000 pumps and their 3 minutes each are the issue's, for a run with
 * time to spare.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '@pdm/contract';
import { REPO_ROOT, type RunningService, startMosquitto, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import { metric } from './metric.ts';
import { bareQos1Publish } from './mqtt-ceiling.ts';
import { type BenchRow, formatNumber } from './table.ts';

const P99_LIMIT_MS = 2000;
/** After the last sample, what is still in flight must be through within this: more is a backlog. */
const DRAIN_LIMIT_S = 5;
const CLOCK_TICKS_PER_S = 100;
/** Samples from the fleet's first seconds (connecting, JIT warm-up) are left out of the latency figures. */
const WARMUP_MS = 10_000;

interface Step {
  readonly pumps: number;
  readonly seconds: number;
  readonly gatewaySize: number;
}

function steps(): Step[] {
  const seconds = Number(process.env.FLEET_SECONDS ?? 60);
  const gatewaySize = Number(process.env.FLEET_GATEWAY_SIZE ?? 0);
  return (process.env.FLEET_PUMPS ?? '1000').split(',').map((p) => ({
    pumps: Number(p),
    seconds,
    gatewaySize,
  }));
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** Resident and peak resident memory in MB, from /proc. */
function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** The broker testkit started with its config in `dir`: found by its command line. */
function brokerPid(dir: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('mosquitto') && cmdline.includes(dir)) return Number(entry);
    } catch {}
  }
  throw new Error(`no mosquitto process with its config in ${dir}`);
}

async function httpPort(service: RunningService): Promise<number> {
  const line = await service.waitForLine(/serving \/healthz and \/metrics/, 60_000);
  return (JSON.parse(line) as { port: number }).port;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** Every prediction as an independent subscriber receives it: once per pump and seq, and how late. */
async function witness(url: string) {
  const client = await mqtt.connectAsync(url, {
    clientId: 'bench-fleet-witness',
    protocolVersion: 5,
    clean: true,
  });
  const seen = new Set<string>();
  // Device time and latency of each first arrival, side by side.
  let times = new Float64Array(1 << 16);
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let firstTs = Number.POSITIVE_INFINITY;
  let duplicates = 0;
  client.on('message', (_topic, payload) => {
    const { pump_id, seq, ts } = JSON.parse(payload.toString()) as {
      pump_id: string;
      seq: number;
      ts: number;
    };
    const key = `${pump_id}#${seq}`;
    if (seen.has(key)) {
      duplicates += 1;
      return;
    }
    seen.add(key);
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
      const grownTimes = new Float64Array(times.length * 2);
      grownTimes.set(times);
      times = grownTimes;
    }
    if (ts < firstTs) firstTs = ts;
    times[count] = ts;
    latencies[count++] = Date.now() - ts;
  });
  await client.subscribeAsync(`${topics.predictions('+')}`, { qos: 1 });
  return {
    get unique() {
      return seen.size;
    },
    get duplicates() {
      return duplicates;
    },
    /** latency quantiles of the samples after the warm-up */
    latency() {
      const sorted = latencies
        .slice(0, count)
        .filter((_, i) => (times[i] as number) >= firstTs + WARMUP_MS)
        .sort();
      return {
        p50: quantile(sorted, 0.5),
        p99: quantile(sorted, 0.99),
        max: sorted[sorted.length - 1] ?? Number.NaN,
      };
    },
    close: () => client.endAsync(),
  };
}

interface StepResult {
  readonly step: Step;
  readonly pass: boolean;
  readonly row: BenchRow;
}

async function runStep(step: Step): Promise<StepResult> {
  const broker = await startMosquitto();
  const dir = await mkdtemp(join(tmpdir(), 'pdm-bench-fleet-'));
  const services: RunningService[] = [];
  const start = (name: string, args: string[], clientId: string) => {
    const s = startService(name, args, { MQTT_URL: broker.url, MQTT_CLIENT_ID: clientId }, { cwd: dir });
    services.push(s);
    return s;
  };
  try {
    const acquisition = start('acquisition', ['--http-port', '0'], 'bench-fleet-acq');
    const inference = start(
      'inference',
      ['--http-port', '0', '--model', join(REPO_ROOT, 'models/pump-state.onnx')],
      'bench-fleet-inference',
    );
    const acqPort = await httpPort(acquisition);
    const infPort = await httpPort(inference);
    await acquisition.waitForLine(/"subscribed"/, 60_000);
    await inference.waitForLine(/inference running/, 60_000);
    const seen = await witness(broker.url);

    const simulator = start(
      'production-simulator',
      [
        ...['--pumps', String(step.pumps), '--duration', String(step.seconds)],
        ...[
          '--gateway-size',
          String(step.gatewaySize),
          '--lag-warmup-s',
          String(WARMUP_MS / 1000),
          '--stats-every-s',
          '30',
        ],
      ],
      'bench-fleet-sim',
    );
    const pids = {
      simulator: simulator.child.pid as number,
      broker: brokerPid(broker.dir),
      acquisition: acquisition.child.pid as number,
      inference: inference.child.pid as number,
    };
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const started = performance.now();
    // The simulator's CPU is read just before it exits: poll until its run is over.
    let simCpu = 0;
    while (simulator.child.exitCode === null) {
      try {
        simCpu = cpuSeconds(pids.simulator);
      } catch {}
      await new Promise((r) => setTimeout(r, 250));
    }
    if (simulator.child.exitCode !== 0)
      throw new Error(`simulator failed:\n${simulator.stderr().slice(-2000)}`);
    const runS = (performance.now() - started) / 1000;
    const summary = simulator.logs().find((l) => l.msg === 'production run complete') as {
      telemetrySent: number;
      gatewayMessagesSent: number;
      groundTruthSent: number;
      lagMs: { p99: number };
    };
    const sent = summary.telemetrySent;
    const cpu: Record<string, number> = { simulator: (simCpu - (cpuBefore.simulator ?? 0)) / runS };
    for (const k of ['broker', 'acquisition', 'inference'] as const)
      cpu[k] = (cpuSeconds(pids[k]) - (cpuBefore[k] ?? 0)) / runS;
    const rss = {
      broker: rssMb(pids.broker),
      acquisition: rssMb(pids.acquisition),
      inference: rssMb(pids.inference),
    };
    // Backlog when the fleet stops, then how long it takes to drain (at most a minute is waited).
    const stored = () => metric(acqPort, 'pdm_acquisition_stored_total');
    const backlogAtEnd = { stored: sent - (await stored()), predicted: sent - seen.unique };
    const drainStarted = performance.now();
    while ((await stored()) < sent || seen.unique < sent) {
      if (performance.now() - drainStarted > 60_000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const drainS = (performance.now() - drainStarted) / 1000;
    const storedNow = await stored();
    const predictions = await metric(infPort, 'pdm_inference_predictions_total');
    // Predictions met by their ground truth: per pump or batched per gateway, the truth reached inference.
    const scored = await metric(infPort, 'pdm_inference_scored_total');
    const latency = seen.latency();
    await seen.close();

    const lost = { stored: sent - storedNow, predicted: sent - seen.unique };
    // groundTruthSent counts messages: one per sample, or one per gateway and interval with gateways.
    const brokerIn = ((summary.gatewayMessagesSent || sent) + summary.groundTruthSent + predictions) / runS;
    const pass =
      lost.stored === 0 &&
      lost.predicted === 0 &&
      seen.duplicates === 0 &&
      drainS <= DRAIN_LIMIT_S &&
      latency.p99 <= P99_LIMIT_MS;
    const form =
      step.gatewaySize > 0 ? `gateways of ${step.gatewaySize} (telemetry and truth)` : 'per-pump topics';
    const pct = (x: number | undefined) => `${Math.round((x ?? 0) * 100)} %`;
    return {
      step,
      pass,
      row: {
        benchmark: `fleet: ${formatNumber(step.pumps)} pumps at 1 Hz for ${step.seconds} s, ${form}, ${formatNumber(sent)} samples`,
        figure:
          `${pass ? 'pass' : 'FAIL'}: latency (after ${WARMUP_MS / 1000} s) p50 ${formatNumber(latency.p50)} / p99 ${formatNumber(latency.p99)} / ` +
          `max ${formatNumber(latency.max)} ms; lost ${lost.stored} stored, ${lost.predicted} predicted, ` +
          `${seen.duplicates} predicted twice; ${formatNumber(scored)} scored against the truth; backlog at end ${backlogAtEnd.stored} / ${backlogAtEnd.predicted}, ` +
          `drained in ${drainS.toFixed(1)} s`,
        target: `nothing lost, drained ≤ ${DRAIN_LIMIT_S} s, p99 ≤ ${formatNumber(P99_LIMIT_MS)} ms`,
        baseline:
          `CPU: simulator ${pct(cpu.simulator)}, broker ${pct(cpu.broker)}, acquisition ${pct(cpu.acquisition)}, ` +
          `inference ${pct(cpu.inference)}; RSS (peak) MB: broker ${rss.broker.rss} (${rss.broker.peak}), ` +
          `acquisition ${rss.acquisition.rss} (${rss.acquisition.peak}), inference ${rss.inference.rss} ` +
          `(${rss.inference.peak}); broker in ${formatNumber(brokerIn)} msg/s; simulator lag p99 ${summary.lagMs.p99} ms`,
        ok: pass,
      },
    };
  } finally {
    for (const s of services) if (s.child.exitCode === null) s.signal('SIGTERM');
    await Promise.all(services.map((s) => s.exited));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The raw ceiling: a bare mqtt.js QoS 1 publisher against the same broker configuration. */
async function ceiling(): Promise<BenchRow> {
  const broker = await startMosquitto();
  try {
    const rate = await bareQos1Publish(broker.url, 200_000, JSON.stringify({ pad: 'x'.repeat(300) }));
    return {
      benchmark: 'fleet: broker ceiling, a bare mqtt.js QoS 1 publisher (300-byte payloads), no subscriber',
      figure: `${formatNumber(rate)} msg/s`,
      target: '',
      ok: undefined,
    };
  } finally {
    await broker.stop();
  }
}

async function fleet(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [await ceiling()];
  let largest = 0;
  for (const step of steps()) {
    process.stderr.write(`fleet: ${step.pumps} pumps for ${step.seconds} s…\n`);
    const result = await runStep(step);
    rows.push(result.row);
    if (!result.pass) break;
    largest = step.pumps;
  }
  rows.push({
    benchmark: 'fleet: largest passing fleet',
    figure: `${formatNumber(largest)} pumps`,
    target: '≥ 5,000 per-pump; 10,000 with gateways (issue 15)',
    ok: undefined,
  });
  return rows;
}

export const fleetBenchmarks = { fleet };
