/**
 * Throughput of the adapter's share of the forwarder: encodeSample, then write() in gzipped batches
 * into the fake InfluxDB, one batch at a time as the forwarder sends them. The product needs 100,000
 * points/s through the whole forwarder (SQLite reads and marking included), so this part should manage
 * well over that.
 *
 * The fake runs in a child process, as InfluxDB would run elsewhere, and parses every line strictly in
 * JavaScript (several times slower than InfluxDB's Go parser), so `pointsPerSecond` is a floor;
 * `writerPointsPerSecond` takes the fake's answering time out and is what the adapter itself costs.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { LabelledSample } from '@pdm/contract';
import type { InfluxTarget } from '../src/http.ts';
import { encodeSample } from '../src/line-protocol.ts';
import { createInfluxWriter, GZIP_LEVEL } from '../src/writer.ts';
import type { FakeProcessRequest, FakeProcessStats } from './fake-influx-process.ts';

export interface InfluxWriteBenchOptions {
  /** default 500,000 */
  readonly points?: number;
  /** lines per write(), default 5,000 as the forwarder sends */
  readonly batchSize?: number;
  /** default 50 */
  readonly pumps?: number;
  /** default the writer's GZIP_LEVEL */
  readonly gzipLevel?: number;
  /** training-sized lines with state, health, RUL and failure mode; default true */
  readonly groundTruth?: boolean;
}

export interface InfluxWriteBenchResult {
  readonly points: number;
  readonly seconds: number;
  /** encode + gzip + HTTP + the fake's strict parse, end to end */
  readonly pointsPerSecond: number;
  /** the same without the time the fake spent answering: what the adapter costs the forwarder */
  readonly writerPointsPerSecond: number;
  /** encodeSample alone */
  readonly encodePointsPerSecond: number;
  /** gzipped request bytes per point */
  readonly wireBytesPerPoint: number;
}

export async function benchInfluxWrites(
  options: InfluxWriteBenchOptions = {},
): Promise<InfluxWriteBenchResult> {
  const total = options.points ?? 500_000;
  const batchSize = options.batchSize ?? 5_000;
  const pumps = options.pumps ?? 50;
  const fake = await startFakeProcess();
  try {
    const writer = createInfluxWriter({
      ...fake.target,
      timeoutMs: 30_000,
      gzipLevel: options.gzipLevel ?? GZIP_LEVEL,
    });
    const batch = makeBatch(batchSize, pumps, options.groundTruth ?? true);
    const lines: string[] = new Array(batchSize);
    let encodeMs = 0;
    const started = performance.now();
    for (let sent = 0; sent < total; sent += batchSize) {
      const size = Math.min(batchSize, total - sent);
      advance(batch, sent, pumps);
      const encodeStarted = performance.now();
      for (let i = 0; i < size; i++) lines[i] = encodeSample(batch[i] as LabelledSample);
      encodeMs += performance.now() - encodeStarted;
      const outcome = await writer.write(size === batchSize ? lines : lines.slice(0, size));
      if (outcome.kind !== 'ok') throw new Error(`benchmark write failed: ${JSON.stringify(outcome)}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const stats = await fake.stats();
    if (stats.linesAccepted !== total)
      throw new Error(`the fake accepted ${stats.linesAccepted} of ${total} points`);
    return {
      points: total,
      seconds,
      pointsPerSecond: total / seconds,
      writerPointsPerSecond: total / (seconds - stats.answeringMs / 1000),
      encodePointsPerSecond: total / (encodeMs / 1000),
      wireBytesPerPoint: stats.bytes / total,
    };
  } finally {
    await fake.stop();
  }
}

export interface FakeProcess {
  readonly target: InfluxTarget;
  stats(): Promise<FakeProcessStats>;
  stop(): Promise<void>;
}

/** The fake InfluxDB in a child process, as a real one would run elsewhere. */
export async function startFakeProcess(): Promise<FakeProcess> {
  const script = fileURLToPath(new URL('./fake-influx-process.ts', import.meta.url));
  // The child inherits this process's TypeScript loader (tsx), but not a profiler's flags.
  const child = fork(script, {
    execArgv: process.execArgv.filter((arg) => !arg.startsWith('--cpu-prof')),
    stdio: 'inherit',
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the fake InfluxDB process exited with ${String(code)}`);
  });
  exited.catch(() => undefined);
  const answer = async <T>(): Promise<T> => (await Promise.race([once(child, 'message'), exited]))[0] as T;
  const target = await answer<InfluxTarget>();
  return {
    target,
    async stats() {
      child.send('stats' satisfies FakeProcessRequest);
      return answer<FakeProcessStats>();
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      if (child.connected) child.send('stop' satisfies FakeProcessRequest);
      const timer = setTimeout(() => child.kill(), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

const START_MS = 1_700_000_000_000;

/**
 * Plausible samples at wire resolution, made once and moved forward in time for every batch. Each is
 * one object literal with ts already a double, the shape better-sqlite3 hands the forwarder; objects
 * built by spreading, or whose ts starts as a small integer, change hidden class later and measure
 * V8's slow paths instead of the encoder.
 */
function makeBatch(size: number, pumps: number, groundTruth: boolean): LabelledSample[] {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const round = (x: number, decimals: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;
  return Array.from({ length: size }, (_, i): LabelledSample => {
    const pump_id = `pump-${String(i % pumps).padStart(3, '0')}`;
    const vibration_x = round(1 + random() * 3, 3);
    const vibration_y = round(1 + random() * 3, 3);
    const vibration_z = round(0.5 + random() * 2, 3);
    const vibration_rms = round(1 + random() * 3, 3);
    const temperature = round(45 + random() * 30, 2);
    const pressure = round(5 + random() * 2, 3);
    const flow = round(100 + random() * 50, 2);
    const current = round(35 + random() * 10, 2);
    const rpm = round(2900 + random() * 100, 1);
    if (!groundTruth) {
      return {
        pump_id,
        ts: START_MS,
        seq: 0,
        vibration_x,
        vibration_y,
        vibration_z,
        vibration_rms,
        temperature,
        pressure,
        flow,
        current,
        rpm,
      };
    }
    return {
      pump_id,
      ts: START_MS,
      seq: 0,
      vibration_x,
      vibration_y,
      vibration_z,
      vibration_rms,
      temperature,
      pressure,
      flow,
      current,
      rpm,
      state: 'HEALTHY',
      health_pct: round(random() * 100, 2),
      rul_h: round(random() * 5000, 3),
      failure_mode: 'BEARING_WEAR',
    };
  });
}

/** Gives the batch starting at point `offset` distinct times: one sample per pump per second. */
function advance(batch: LabelledSample[], offset: number, pumps: number): void {
  for (let i = 0; i < batch.length; i++) {
    const sample = batch[i] as LabelledSample;
    sample.seq = Math.floor((offset + i) / pumps);
    sample.ts = START_MS + sample.seq * 1000;
  }
}
