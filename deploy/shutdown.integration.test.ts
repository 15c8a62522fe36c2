/**
 * SIGTERM stops every long-running program within its deadline: under load, with the broker down, and
 * with the broker hung (SIGSTOP: the kernel still accepts connections, nothing is answered). This is
 * what `docker compose stop` needs; without it the grace period ends in SIGKILL.
 */
import { join } from 'node:path';
import { topics } from '@pdm/contract';
import { SHUTDOWN_DEADLINE_MS } from '@pdm/service-kit';
import { type Mosquitto, REPO_ROOT, type RunningService, startMosquitto, startService } from '@pdm/testkit';
import { afterEach, describe, expect, it } from 'vitest';

/** The deadline plus room for a loaded machine to run the exit itself; far below compose's 30 s. */
const EXIT_BOUND_MS = SHUTDOWN_DEADLINE_MS + 5_000;

const running: RunningService[] = [];
const brokers: Mosquitto[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    s.signal('SIGKILL');
    await s.exited;
  }
  for (const b of brokers.splice(0)) {
    b.resume();
    await b.stop();
  }
});

interface Program {
  readonly name: string;
  readonly args: readonly string[];
  /** a log line that shows the program is connected and working */
  readonly ready: RegExp;
}

const PROGRAMS: readonly Program[] = [
  {
    name: 'acquisition',
    args: ['--http-port', '0', '--store-telemetry'],
    ready: /"subscribed"/,
  },
  {
    name: 'inference',
    args: ['--http-port', '0', '--model', join(REPO_ROOT, 'models/pump-state.onnx')],
    ready: /inference running/,
  },
  {
    name: 'production-simulator',
    args: ['--pumps', '2000', '--mode', 'stress', '--stats-every-s', '1'],
    ready: /fleet running/,
  },
  {
    name: 'training-simulator',
    args: ['--pumps', '2000', '--max-in-flight', '1000'],
    ready: /training run started/,
  },
  {
    name: 'tail-predictions',
    args: ['--source', 'mqtt', '--json'],
    ready: /"subscribed"/,
  },
  {
    name: 'notifier',
    args: ['--http-port', '0', '--group-wait-s', '0.1', '--group-by', 'pump'],
    ready: /notifier running/,
  },
];

/** Publishes `count` copies of one message with QoS 1, for the programs that receive what inference sends. */
async function publishMany(
  broker: Mosquitto,
  topic: (i: number) => string,
  payload: (i: number) => string,
  count: number,
) {
  const { default: mqtt } = await import('mqtt');
  const publisher = await mqtt.connectAsync(broker.url);
  await Promise.all(
    Array.from({ length: count }, (_, i) => publisher.publishAsync(topic(i), payload(i), { qos: 1 })),
  );
  await publisher.endAsync();
}

/** Telemetry and predictions flowing on the bus, for the programs that only receive. */
function loadGenerator(broker: Mosquitto): RunningService {
  const load = startService(
    'production-simulator',
    ['--pumps', '2000', '--mode', 'stress', '--stats-every-s', '1'],
    { MQTT_URL: broker.url, MQTT_CLIENT_ID: 'load-simulator' },
  );
  running.push(load);
  return load;
}

async function stopAndTime(program: RunningService): Promise<{ code: number | string; ms: number }> {
  const started = performance.now();
  program.signal('SIGTERM');
  const timeout = new Promise<'still running'>((resolve) =>
    setTimeout(() => resolve('still running'), EXIT_BOUND_MS).unref(),
  );
  const code = await Promise.race([program.exited, timeout]);
  return { code, ms: Math.round(performance.now() - started) };
}

const CONDITIONS = ['under load', 'with the broker down', 'with the broker hung'] as const;

describe('SIGTERM stops every program within its deadline (real Mosquitto)', () => {
  for (const program of PROGRAMS) {
    for (const condition of CONDITIONS) {
      it(`stops ${program.name} ${condition}`, async () => {
        const broker = await startMosquitto();
        brokers.push(broker);
        const service = startService(program.name, program.args, {
          MQTT_URL: broker.url,
          MQTT_CLIENT_ID: `${program.name}-shutdown`,
          PREDICTIONS_DIR: 'predictions',
        });
        running.push(service);
        await service.waitForLine(program.ready, 60_000);
        const load = loadGenerator(broker);
        await load.waitForLine(/fleet running/, 60_000);
        if (program.name === 'tail-predictions') {
          // Predictions come from inference; here a stand-in publisher is enough to keep it busy.
          const payload = JSON.stringify({
            pump_id: 'pump-00001',
            ts: Date.now(),
            seq: 0,
            state: 'HEALTHY',
            raw_state: 'HEALTHY',
            probabilities: { HEALTHY: 1 },
            vibration_rms: 1,
            iso_zone: 'A',
            model_version: 'v',
            latency_ms: 1,
          });
          await publishMany(
            broker,
            () => topics.predictions('pump-00001'),
            () => payload,
            2000,
          );
        }
        if (program.name === 'notifier') {
          // Alarms of 500 pumps, one group each: notifications being written and sent as it stops.
          const pump = (i: number) => `pump-${String(i).padStart(5, '0')}`;
          await publishMany(
            broker,
            (i) => topics.alerts(pump(i)),
            (i) =>
              JSON.stringify({
                pump_id: pump(i),
                ts: Date.now(),
                seq: 0,
                kind: 'alarm',
                state: 'FAULTY',
                previous_state: 'WARNING',
                model_version: 'v',
                evidence: {
                  raw_states: ['FAULTY'],
                  probabilities: { FAULTY: 1 },
                  vibration_rms: 6,
                  iso_zone: 'C',
                  temperature: 70,
                },
              }),
            500,
          );
        }
        if (condition === 'with the broker down') {
          load.signal('SIGKILL');
          await load.exited;
          await broker.stop();
          brokers.splice(brokers.indexOf(broker), 1);
          await service.waitForLine(/unreachable|MQTT error/);
        } else if (condition === 'with the broker hung') {
          broker.pause();
        }
        const { code, ms } = await stopAndTime(service);
        console.log(`${program.name} ${condition}: exited with ${code} ${ms} ms after SIGTERM`);
        expect(code).not.toBe('still running');
        if (condition === 'under load') expect(code).toBe(0);
      });
    }
  }
});
