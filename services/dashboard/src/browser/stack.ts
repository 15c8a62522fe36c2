/**
 * The whole pipeline for the browser tests, as real processes on a real Mosquitto: acquisition storing into a
 * temporary SQLite file, inference, the dashboard, and a small production fleet in STRESS mode with its
 * ground truth, plus a recorder of what inference published.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Mosquitto,
  REPO_ROOT,
  type Recorder,
  type RunningService,
  recordMessages,
  startMosquitto,
  startService,
} from '@pdm/testkit';

export interface Stack {
  readonly broker: Mosquitto;
  /** the dashboard's address, ending in / */
  readonly url: string;
  readonly dir: string;
  readonly modelPath: string;
  readonly sqlitePath: string;
  /** METRICS_URLS for a dashboard: the running acquisition's and inference's /metrics */
  readonly metricsUrls: string;
  /** every prediction and alert inference published */
  readonly recorder: Recorder;
  readonly services: readonly RunningService[];
  /** wall time when the fleet started */
  readonly fleetStartedAt: number;
  stop(): Promise<void>;
}

/** Resolves once `check` holds, polling; rejects after `timeoutMs` saying what was awaited. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function opsPort(service: RunningService): Promise<number> {
  return (JSON.parse(await service.waitForLine(/serving \/healthz/)) as { port: number }).port;
}

/** A dashboard on a free port; resolves with its address once it listens and has subscribed. */
export async function startDashboard(
  env: Readonly<Record<string, string>>,
): Promise<{ readonly service: RunningService; readonly url: string }> {
  const service = startService('dashboard', ['--http-port', '0'], env);
  const listening = await service.waitForLine(/"dashboard listening"/, 60_000);
  await service.waitForLine(/"subscribed"/);
  const url = (JSON.parse(listening) as { url: string }).url;
  return { service, url: url.endsWith('/') ? url : `${url}/` };
}

export async function stopService(service: RunningService): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.signal('SIGTERM');
  const timer = setTimeout(() => service.signal('SIGKILL'), 10_000);
  await service.exited;
  clearTimeout(timer);
}

export async function startStack(options: { readonly pumps: number }): Promise<Stack> {
  const broker = await startMosquitto();
  const dir = await mkdtemp(join(tmpdir(), 'pdm-browser-'));
  const services: RunningService[] = [];
  let recorder: Recorder | undefined;
  const stop = async () => {
    await Promise.all(services.map(stopService));
    await recorder?.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // The model the project ships, with its report: the model view and the screenshots show a real one (the
    // test fixture of @pdm/inference/testing has no report, so the model view would have nothing to show).
    const modelPath = join(dir, 'pump-state.onnx');
    for (const suffix of ['.onnx', '.json', '.report.json']) {
      await copyFile(join(REPO_ROOT, 'models', `pump-state${suffix}`), join(dir, `pump-state${suffix}`));
    }
    const sqlitePath = join(dir, 'pdm.sqlite');
    const mqtt = { MQTT_URL: broker.url };
    recorder = await recordMessages(broker.url, ['pdm/v1/predictions/+', 'pdm/v1/alerts/+']);
    const acquisition = startService(
      'acquisition',
      ['--http-port', '0', '--sqlite-path', sqlitePath, '--store-telemetry'],
      { ...mqtt, MQTT_CLIENT_ID: 'browser-acquisition' },
    );
    services.push(acquisition);
    const inference = startService('inference', ['--http-port', '0', '--model', modelPath], {
      ...mqtt,
      MQTT_CLIENT_ID: 'browser-inference',
    });
    services.push(inference);
    const metricsUrls = [
      `acquisition=http://127.0.0.1:${await opsPort(acquisition)}/metrics`,
      `inference=http://127.0.0.1:${await opsPort(inference)}/metrics`,
    ].join(',');
    await inference.waitForLine(/inference running/, 60_000);
    const dashboard = await startDashboard({
      ...mqtt,
      SQLITE_PATH: sqlitePath,
      MODEL_PATH: modelPath,
      METRICS_URLS: metricsUrls,
    });
    services.push(dashboard.service);
    const fleetStartedAt = Date.now();
    services.push(
      startService(
        'production-simulator',
        ['--pumps', String(options.pumps), '--mode', 'stress', '--chaos', '--seed', '7'],
        mqtt,
      ),
    );
    return {
      broker,
      url: dashboard.url,
      dir,
      modelPath,
      sqlitePath,
      metricsUrls,
      recorder,
      services,
      fleetStartedAt,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
