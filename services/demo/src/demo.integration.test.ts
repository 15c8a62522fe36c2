import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SampleStore } from '@pdm/store';
import { type RunningService, startService } from '@pdm/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const SMALL = ['--pumps', '12', '--fleet', '20'];
/** A whole pipeline, or two runs of one, on a loaded 2-core machine. */
const PIPELINE_TIMEOUT_MS = 240_000;
/** The line that gives the dashboard's address, without a terminal. */
const DASHBOARD_LINE = /^dashboard (http:\/\/127\.0\.0\.1:(\d+)\/)/;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** A port held by another program for the whole test, or (`hold` false) one that was free a moment ago. */
async function port({ hold }: { hold: boolean }): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  if (hold) servers.push(server);
  else await new Promise((done) => server.close(done));
  return port;
}

async function dashboardUrl(demo: RunningService): Promise<{ url: string; port: number; line: string }> {
  const line = await demo.waitForLine(DASHBOARD_LINE, 60_000);
  const [, url, port] = DASHBOARD_LINE.exec(line) as unknown as [string, string, string];
  return { url, port: Number(port), line };
}

/** Polls the dashboard's fleet until it lists pumps, as long as the demo runs. */
async function fleetWithPumps(
  demo: RunningService,
  url: string,
): Promise<{ total: number; pumps: unknown[] }> {
  return demo.whileRunning(
    (async () => {
      for (;;) {
        const response = await fetch(new URL('api/fleet', url));
        expect(response.status).toBe(200);
        const fleet = (await response.json()) as { total: number; pumps: unknown[] };
        if (fleet.total > 0) return fleet;
        await new Promise((r) => setTimeout(r, 500));
      }
    })(),
  );
}

describe('pnpm demo, with nothing but Node.js (embedded broker, SQLite)', () => {
  it(
    'runs the whole pipeline within its duration and leaves a model, a store and prediction logs',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pdm-demo-'));
      const taken = await port({ hold: true });
      // 70 s rather than 35: the dashboard's start shares the machine with the pipeline's, and the RUL
      // model trains during the live phase, which must last until it serves.
      const demo = startService('demo', [
        '--duration',
        '70',
        '--dir',
        dir,
        '--dashboard-port',
        String(taken),
        ...SMALL,
      ]);

      // The dashboard's port was taken, so the demo says so and serves it on another.
      const dashboard = await dashboardUrl(demo);
      expect(dashboard.port).not.toBe(taken);
      expect(dashboard.line).toContain(`port ${taken} is taken`);
      const page = await fetch(dashboard.url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);

      expect(await demo.exited).toBe(0);
      const out = demo.stdout();
      expect(out).toContain('1 of 3: simulating whole pump lifecycles into acquisition');
      expect(out).toContain('2 of 3: exporting training sets and training the state and RUL models');
      expect(out).toContain('3 of 3: live predictions');
      expect(out).toContain('Demo complete.');
      // A figure, whatever it is: on a loaded machine the live phase may see only new pumps, all scored right.
      expect(out).toMatch(/live accuracy\s+(0\.\d{3}|1\.000)/);
      // Both models served: the live RUL error against the ground truth is in the summary.
      expect(out).toMatch(/RUL model held-out RMSE\s+\d+\.\d{4} h/);
      expect(out).toMatch(/live RUL error\s+MAE \d+\.\d{4} h, RMSE \d+\.\d{4} h/);
      // The notifier ran beside inference, with its console receiver.
      expect(out).toMatch(/notifications\s+\d+ \(grouped/);
      expect(out).toContain(`dashboard    was on ${dashboard.url}; to look back at this run: SQLITE_PATH=`);
      expect(existsSync(join(dir, 'models/pump-state.onnx'))).toBe(true);
      expect(existsSync(join(dir, 'models/pump-rul.onnx'))).toBe(true);
      const store = SampleStore.open(join(dir, 'pdm.sqlite'), { readonly: true });
      expect(store.count()).toBeGreaterThan(1000);
      // the live fleet's telemetry and predictions are stored beside the training samples
      expect(store.count() - store.count({ labelledOnly: true })).toBeGreaterThan(0);
      expect(store.countPredictions()).toBeGreaterThan(0);
      store.close();
      const logs = readdirSync(join(dir, 'predictions'));
      expect(logs.some((f) => f.endsWith('.jsonl'))).toBe(true);
      expect(logs.some((f) => f.endsWith('.csv'))).toBe(true);
      // The dashboard stopped with the demo.
      await expect(fetch(dashboard.url)).rejects.toThrow();
    },
    PIPELINE_TIMEOUT_MS,
  );

  it(
    'stops cleanly on Ctrl-C at any moment, and runs again in the same folder, with the dashboard at the same address',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pdm-demo-'));
      const free = await port({ hold: false });
      const args = ['--duration', '120', '--dir', dir, '--dashboard-port', String(free), ...SMALL];
      const first = startService('demo', args);
      const { url, port: used } = await dashboardUrl(first);
      expect(used).toBe(free);
      expect((await fetch(url)).status).toBe(200);
      await first.waitForLine(/1 of 3/, 60_000);
      first.signal('SIGINT');
      expect(await first.exited).toBe(0);
      expect(first.stdout()).toContain('Demo stopped early.');
      await expect(fetch(url)).rejects.toThrow();

      const second = startService('demo', args);
      expect((await dashboardUrl(second)).url).toBe(url);
      await second.waitForLine(/3 of 3/, 90_000);
      // The live fleet, as the dashboard sees it over MQTT.
      const fleet = await fleetWithPumps(second, url);
      expect(fleet.pumps.length).toBeGreaterThan(0);
      second.signal('SIGTERM');
      expect(await second.exited).toBe(0);
      expect(second.stdout()).toMatch(/live predictions\s+[\d,]+/);
      expect(existsSync(join(dir, 'models/pump-state.onnx'))).toBe(true);
    },
    PIPELINE_TIMEOUT_MS,
  );
});
