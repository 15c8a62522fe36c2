/** Helpers for acquisition's integration tests: a training run into a broker, and the store as the export reads it. */
import { join } from 'node:path';
import { SampleStore } from '@pdm/store';
import { type Mosquitto, type RunningService, startMosquitto, startService } from '@pdm/testkit';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

export interface TestBroker {
  /** the broker's URL, once the file's tests run */
  readonly url: string;
  /** kills the service (SIGKILL) after the test that started it */
  track(service: RunningService): RunningService;
}

/**
 * One Mosquitto for a test file, and every service a test hands to `track` killed after that test, even on
 * failure. Call it at the top of the file.
 */
export function brokerForFile(): TestBroker {
  let broker: Mosquitto | undefined;
  const running: RunningService[] = [];
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterEach(async () => {
    for (const s of running.splice(0)) {
      s.signal('SIGKILL');
      await s.exited;
    }
  });
  afterAll(async () => {
    await broker?.stop();
  });
  return {
    get url() {
      if (!broker) throw new Error('the broker starts in beforeAll');
      return broker.url;
    },
    track(service) {
      running.push(service);
      return service;
    },
  };
}

export function storePath(service: RunningService): string {
  return join(service.cwd, 'data/pdm.sqlite');
}

/** Polls the store read-only, as the export CLI would, until it holds `rows` samples. */
export function waitForRows(
  path: string,
  rows: number,
  service?: RunningService,
  timeoutMs = 90_000,
): Promise<number> {
  return waitForCount(path, (store) => store.count(), rows, 'samples', service, timeoutMs);
}

/**
 * Polls the store read-only, as the dashboard would, until `count` of it reaches `rows`; fails early if
 * the service exits.
 */
export async function waitForCount(
  path: string,
  count: (store: SampleStore) => number,
  rows: number,
  what: string,
  service?: RunningService,
  timeoutMs = 90_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let found = 0;
  while (Date.now() < deadline) {
    try {
      const store = SampleStore.open(path, { readonly: true });
      found = count(store);
      store.close();
    } catch {}
    if (found >= rows) return found;
    if (service && service.child.exitCode !== null)
      throw new Error(`acquisition exited:\n${service.stdout().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`store holds ${found} of ${rows} ${what} after ${timeoutMs} ms`);
}

/** The service's /metrics text, once it serves them. */
export async function metricsOf(service: RunningService): Promise<string> {
  const line = await service.waitForLine(/serving \/healthz and \/metrics/);
  const port = (JSON.parse(line) as { port: number }).port;
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** A whole training-simulator run into the broker; every sample acknowledged. Returns the sample count. */
export async function trainingRun(brokerUrl: string, args: string[], clientId: string): Promise<number> {
  const sim = startService('training-simulator', args, { MQTT_URL: brokerUrl, MQTT_CLIENT_ID: clientId });
  expect(await sim.exited).toBe(0);
  const summary = sim.logs().find((l) => l.msg === 'training run complete') as {
    samples: number;
    acknowledged: number;
  };
  expect(summary.acknowledged).toBe(summary.samples);
  return summary.samples;
}

/** The service's /metrics text once it matches `pattern` (polled: counters move after the commit). */
export async function waitForMetrics(
  service: RunningService,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let metrics = await metricsOf(service);
  while (!pattern.test(metrics)) {
    if (Date.now() > deadline)
      throw new Error(`no ${pattern} in /metrics after ${timeoutMs} ms:\n${metrics}`);
    await new Promise((r) => setTimeout(r, 100));
    metrics = await metricsOf(service);
  }
  return metrics;
}
