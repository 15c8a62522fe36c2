/** Flags and environment of the dashboard service. */
import { ID_PATTERN } from '@pdm/contract';
import { influxOptions, missingInfluxSettings } from '@pdm/influx';
import { type ConfigOf, intOption, type OptionSpecs, sharedOptions } from '@pdm/service-kit';
import { z } from 'zod';

export const program = {
  name: 'dashboard',
  summary:
    'The fleet dashboard: a web page and a JSON API (/api/..., described at /api/openapi.json) to watch every\n' +
    'pump live, look back at any pump against the ISO 10816 zones, and see every alarm, the model and the\n' +
    'pipeline. Live data comes from MQTT (pdm/v1/predictions/+, alerts/+, groundtruth/+, status/+ and\n' +
    'telemetry/+, read-only on a session that leaves nothing behind), history from the store (SQLite read-only\n' +
    'beside acquisition, or InfluxDB). Everything, the page included, is served by the service itself: no CDN.\n' +
    'With DASHBOARD_PASSWORD set every page and API call needs HTTP Basic authentication.',
};

/** One `name=url` of METRICS_URLS. */
export interface MetricsTarget {
  readonly name: string;
  readonly url: string;
}

export const DEFAULT_METRICS_URLS =
  'acquisition=http://127.0.0.1:9101/metrics,inference=http://127.0.0.1:9102/metrics';

/** `a=http://x/metrics, b=http://y/metrics` → the targets, and what is wrong with each bad item. */
export function parseMetricsTargets(text: string): { targets: MetricsTarget[]; problems: string[] } {
  const targets: MetricsTarget[] = [];
  const problems: string[] = [];
  for (const item of text.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const at = item.indexOf('=');
    const name = item.slice(0, at).trim();
    const url = item.slice(at + 1).trim();
    if (at <= 0) problems.push(`${JSON.stringify(item)}: expected name=url`);
    else if (!ID_PATTERN.test(name))
      problems.push(`${JSON.stringify(name)}: a name is letters, digits, "_", "-" or "."`);
    else if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      problems.push(`${JSON.stringify(url)}: expected a URL starting with http:// or https://`);
    else targets.push({ name, url });
  }
  return { targets, problems };
}

export const options = {
  httpPort: {
    schema: intOption(8080, { min: 0, max: 65_535 }),
    flag: 'http-port',
    env: 'HTTP_PORT',
    placeholder: 'PORT',
    help: 'port of the page, the API, /healthz and /metrics (0: any free port)',
  },
  httpHost: {
    schema: z.string().min(1).default('127.0.0.1'),
    flag: 'http-host',
    env: 'HTTP_HOST',
    placeholder: 'HOST',
    help: 'address to listen on; 0.0.0.0 to be reachable from other machines (set DASHBOARD_PASSWORD then)',
  },
  user: {
    schema: z.string().min(1).default('admin'),
    env: 'DASHBOARD_USER',
    help: 'user name of the Basic authentication',
  },
  password: {
    schema: z.string().optional(),
    env: 'DASHBOARD_PASSWORD',
    help: 'when set, every request but /healthz needs Basic authentication with DASHBOARD_USER and this',
  },
  store: {
    schema: z.enum(['sqlite', 'influxdb'], { message: 'expected sqlite or influxdb' }).default('sqlite'),
    flag: 'store',
    env: 'STORE',
    placeholder: 'KIND',
    help: 'where history is read: the SQLite file acquisition writes, or InfluxDB',
  },
  sqlitePath: {
    schema: z.string().min(1).default('data/pdm.sqlite'),
    flag: 'sqlite-path',
    env: 'SQLITE_PATH',
    placeholder: 'PATH',
    help: 'SQLite store, opened read-only; waited for when acquisition has not created it yet',
  },
  ...influxOptions,
  modelPath: {
    schema: z.string().min(1).default('models/pump-state.onnx'),
    flag: 'model',
    env: 'MODEL_PATH',
    placeholder: 'PATH',
    help: 'the serving model; its report <name>.report.json is shown, and re-read when it changes',
  },
  metricsUrls: {
    // Kept as text (so that --help shows the default as it is written); main.ts parses it.
    schema: z
      .string()
      .default(DEFAULT_METRICS_URLS)
      .superRefine((text, ctx) => {
        for (const message of parseMetricsTargets(text).problems) ctx.addIssue({ code: 'custom', message });
      }),
    flag: 'metrics-urls',
    env: 'METRICS_URLS',
    placeholder: 'LIST',
    help: 'the services’ /metrics scraped for the pipeline view, comma-separated name=url',
  },
  staleAfterS: {
    schema: intOption(30, { min: 1, max: 86_400 }),
    flag: 'stale-after-s',
    env: 'STALE_AFTER_S',
    placeholder: 'S',
    help: 'a pump without a prediction for this long is shown STALE',
  },
  offlineAfterS: {
    schema: intOption(300, { min: 1, max: 30 * 86_400 }),
    flag: 'offline-after-s',
    env: 'OFFLINE_AFTER_S',
    placeholder: 'S',
    help: 'and OFFLINE after this long',
  },
  ...sharedOptions,
} as const satisfies OptionSpecs;

export type Config = ConfigOf<typeof options>;

/** Rules across settings; each problem names its variable. */
export function crossCheck(c: Config): string[] {
  return [
    ...(c.store === 'influxdb' ? missingInfluxSettings(c) : []),
    ...(c.offlineAfterS <= c.staleAfterS ? ['OFFLINE_AFTER_S: must be more than STALE_AFTER_S'] : []),
  ];
}
