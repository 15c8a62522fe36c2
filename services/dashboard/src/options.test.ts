import { parseConfig } from '@pdm/service-kit';
import { describe, expect, it } from 'vitest';
import { crossCheck, options, parseMetricsTargets, program } from './options.ts';

const parse = (argv: string[], env: Record<string, string> = {}) =>
  parseConfig(program, options, { argv, env }, crossCheck);

describe('the dashboard’s options', () => {
  it('defaults to loopback on 8080 without a login, and the local services’ /metrics', () => {
    const result = parse([]);
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.config).toMatchObject({
      httpHost: '127.0.0.1',
      httpPort: 8080,
      user: 'admin',
      password: undefined,
    });
    expect(parseMetricsTargets(result.config.metricsUrls).targets).toEqual([
      { name: 'acquisition', url: 'http://127.0.0.1:9101/metrics' },
      { name: 'inference', url: 'http://127.0.0.1:9102/metrics' },
    ]);
  });

  it('reads METRICS_URLS as name=url pairs and names each bad item', () => {
    expect(parseMetricsTargets(' a=http://x:1/metrics , b=https://y/m ,').targets).toEqual([
      { name: 'a', url: 'http://x:1/metrics' },
      { name: 'b', url: 'https://y/m' },
    ]);
    const result = parse([], { METRICS_URLS: 'nourl,c=ftp://z' });
    expect(result.kind === 'invalid' && result.problems).toEqual([
      expect.stringMatching(
        /^--metrics-urls \/ METRICS_URLS: "nourl": expected name=url; "ftp:\/\/z": expected a URL/,
      ),
    ]);
  });

  it('wants OFFLINE_AFTER_S beyond STALE_AFTER_S, and InfluxDB’s token and org with STORE=influxdb', () => {
    const result = parse(['--store', 'influxdb'], { STALE_AFTER_S: '60', OFFLINE_AFTER_S: '60' });
    expect(result.kind === 'invalid' && result.problems).toEqual([
      'INFLUX_TOKEN: required with STORE=influxdb',
      'INFLUX_ORG: required with STORE=influxdb',
      'OFFLINE_AFTER_S: must be more than STALE_AFTER_S',
    ]);
  });
});
