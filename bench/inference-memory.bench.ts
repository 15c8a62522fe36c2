/**
 * Inference's memory under a flood of new pump ids, one valid message each: bounded by MAX_PUMPS and the
 * idle eviction, against the same flood with the bound out of reach (the baseline, same run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeTelemetry, topics } from '@pdm/contract';
import { PumpTwin, telemetryMessage } from '@pdm/pump-physics';
import { REPO_ROOT, startMosquitto, startService } from '@pdm/testkit';
import mqtt from 'mqtt';
import { metric } from './metric.ts';
import { type BenchRow, formatNumber } from './table.ts';

const IDS = 300_000;
const CHECKPOINTS = [100_000, 200_000, 300_000];
const BOUND = 10_000;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** RSS (MB) of inference after each checkpoint of distinct pump ids, with MAX_PUMPS = maxPumps. */
async function flood(maxPumps: number): Promise<number[]> {
  const broker = await startMosquitto();
  const service = startService(
    'inference',
    ['--http-port', '0', '--model', join(REPO_ROOT, 'models/pump-state.onnx')],
    { MQTT_URL: broker.url, MQTT_CLIENT_ID: 'bench-memory', MAX_PUMPS: String(maxPumps) },
  );
  const sender = await mqtt.connectAsync(broker.url, { clientId: 'bench-memory-sender' });
  try {
    const port = (JSON.parse(await service.waitForLine(/serving \/healthz/)) as { port: number }).port;
    await service.waitForLine(/inference running/);
    const reading = new PumpTwin({ seed: 1, index: 0, lifetime: { beta: 2, eta: 1000 } }).sample(1 / 3600);
    const rss: number[] = [];
    let sent = 0;
    for (const checkpoint of CHECKPOINTS) {
      let inFlight = 0;
      let wake: (() => void) | undefined;
      for (; sent < checkpoint; sent++) {
        const id = `flood-${sent}`;
        inFlight += 1;
        sender.publish(
          topics.telemetry(id),
          encodeTelemetry(telemetryMessage(id, 1_767_225_600_000, 0, reading)),
          { qos: 1 },
          () => {
            inFlight -= 1;
            wake?.();
          },
        );
        if (inFlight >= 500) await new Promise<void>((r) => (wake = r));
      }
      while (inFlight > 0) await new Promise<void>((r) => (wake = r));
      // Every message handled: predicted, or dead-lettered beyond the bound.
      const handled = () =>
        Promise.all([
          metric(port, 'pdm_inference_predictions_total'),
          metric(port, 'pdm_inference_pumps_refused_total'),
        ]).then(([p, r]) => p + r);
      while ((await handled()) < checkpoint) await new Promise((r) => setTimeout(r, 200));
      rss.push(rssMb(service.child.pid as number));
    }
    return rss;
  } finally {
    await sender.endAsync();
    service.signal('SIGTERM');
    await service.exited;
    await broker.stop();
  }
}

async function inferenceMemory(): Promise<BenchRow> {
  const bounded = await flood(BOUND);
  const unbounded = await flood(IDS * 10);
  const show = (rss: number[]) =>
    rss.map((mb, i) => `${formatNumber(CHECKPOINTS[i] ?? 0)}: ${formatNumber(mb)} MB`).join(', ');
  const growth = (bounded.at(-1) ?? 0) - (bounded[0] ?? 0);
  return {
    benchmark: `inference: RSS under a flood of ${formatNumber(IDS)} new pump ids, one message each, MAX_PUMPS ${formatNumber(BOUND)}`,
    figure: show(bounded),
    target: 'bounded: < 50 MB growth after the first 100,000',
    baseline: `MAX_PUMPS out of reach: ${show(unbounded)}`,
    ok: growth < 50,
  };
}

export const inferenceMemoryBenchmarks = { inferenceMemory };
