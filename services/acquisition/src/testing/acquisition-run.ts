/** Helpers for acquisition's integration tests: a training run into a broker, and the store as the export reads it. */
import { join } from 'node:path';
import { SampleStore } from '@pdm/store';
import { type RunningService, startService } from '@pdm/testkit';
import { expect } from 'vitest';

export function storePath(service: RunningService): string {
  return join(service.cwd, 'data/pdm.sqlite');
}

/** Polls the store read-only, as the export CLI would, until it holds `rows` samples. */
export async function waitForRows(
  path: string,
  rows: number,
  service?: RunningService,
  timeoutMs = 90_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = 0;
  while (Date.now() < deadline) {
    try {
      const store = SampleStore.open(path, { readonly: true });
      count = store.count();
      store.close();
    } catch {}
    if (count >= rows) return count;
    if (service && service.child.exitCode !== null)
      throw new Error(`acquisition exited:\n${service.stdout().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`store holds ${count} of ${rows} rows after ${timeoutMs} ms`);
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
