/** Issue 2 figures: training simulator generation and publishing, production fleet size at 1 Hz. */
import { closeSync, openSync } from 'node:fs';
import { startMosquitto, startService } from '@pdm/testkit';
import { bareQos1Publish } from './mqtt-ceiling.ts';
import { type BenchRow, formatNumber } from './table.ts';

const TRAINING_ARGS = ['--pumps', '200', '--seed', '1'];

type Summary = Record<string, unknown>;

async function runToSummary(
  name: string,
  args: string[],
  env: Record<string, string>,
  summaryMsg: string,
  stdoutFd?: number,
): Promise<Summary> {
  const service = startService(name, args, env, stdoutFd === undefined ? {} : { stdoutFd });
  const code = await service.exited;
  const summary = service.logs().find((l) => l.msg === summaryMsg);
  if (code !== 0 || !summary) throw new Error(`${name} failed (${code}):\n${service.stderr().slice(-2000)}`);
  return summary;
}

/** Generation only: JSON Lines to /dev/null, so only the simulator's own work is timed. */
async function trainingGeneration(): Promise<BenchRow> {
  const devNull = openSync('/dev/null', 'w');
  try {
    const summary = (await runToSummary(
      'training-simulator',
      [...TRAINING_ARGS, '--stdout'],
      {},
      'training run complete',
      devNull,
    )) as {
      messagesPerSecond: number;
      samples: number;
    };
    return {
      benchmark: `training simulator, generation only (--stdout > /dev/null, ${formatNumber(summary.samples)} samples)`,
      figure: `${formatNumber(summary.messagesPerSecond)} samples/s`,
      target: '≥ 200,000 samples/s',
      ok: summary.messagesPerSecond >= 200_000,
    };
  } finally {
    closeSync(devNull);
  }
}

async function trainingPublishing(): Promise<BenchRow> {
  const broker = await startMosquitto();
  try {
    const summary = (await runToSummary(
      'training-simulator',
      TRAINING_ARGS,
      { MQTT_URL: broker.url },
      'training run complete',
    )) as {
      messagesPerSecond: number;
      samples: number;
      acknowledged: number;
    };
    if (summary.acknowledged !== summary.samples) throw new Error('not every message was acknowledged');
    const payload = JSON.stringify({ pad: 'x'.repeat(330) });
    const ceiling = await bareQos1Publish(broker.url, 300_000, payload);
    return {
      benchmark: `training simulator → Mosquitto, QoS 1, all ${formatNumber(summary.samples)} acknowledged`,
      figure: `${formatNumber(summary.messagesPerSecond)} msg/s`,
      target: '≥ 15,000 msg/s',
      baseline: `bare mqtt.js QoS 1 publisher: ${formatNumber(ceiling)} msg/s`,
      ok: summary.messagesPerSecond >= 15_000,
    };
  } finally {
    await broker.stop();
  }
}

/** Largest fleet that keeps p99 schedule lag under 100 ms at 1 Hz, telemetry and ground truth published. */
async function productionFleet(): Promise<BenchRow> {
  const broker = await startMosquitto();
  const sizes = [2000, 5000, 10_000, 15_000, 20_000];
  const results: string[] = [];
  let largest = 0;
  try {
    for (const pumps of sizes) {
      const summary = (await runToSummary(
        'production-simulator',
        ['--pumps', String(pumps), '--duration', '20', '--lag-warmup-s', '5', '--mode', 'stress', '--chaos'],
        { MQTT_URL: broker.url, MQTT_CLIENT_ID: `bench-production-${pumps}` },
        'production run complete',
      )) as { lagMs: { p99: number } };
      results.push(`${formatNumber(pumps)}: p99 ${summary.lagMs.p99} ms`);
      if (summary.lagMs.p99 >= 100) break;
      largest = pumps;
    }
  } finally {
    await broker.stop();
  }
  return {
    benchmark: 'production simulator, largest fleet at 1 Hz with p99 schedule lag < 100 ms (2 msgs/sample)',
    figure: `${formatNumber(largest)} pumps`,
    target: '≥ 2,000 pumps (aim 10,000)',
    baseline: results.join('; '),
    ok: largest >= 2000,
  };
}

export const simulatorBenchmarks = { trainingGeneration, trainingPublishing, productionFleet };
