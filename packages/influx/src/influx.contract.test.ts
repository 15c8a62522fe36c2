/**
 * The round trip of reader.test.ts, the dashboard's queries of dashboard-reader.test.ts and the Grafana
 * dashboards' queries of grafana-queries.test.ts against a real InfluxDB 2.x, to keep the fake honest. Runs only when INFLUX_URL, INFLUX_TOKEN and INFLUX_ORG are set
 * (INFLUX_BUCKET defaults to `telemetry`); see README.md. Tests write pumps named `rt-<random>-…` and
 * `db-<random>-…` and `gf-<random>-…` and delete them afterwards.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { dashboardSuite } from './dashboard.suite.ts';
import { InfluxError } from './errors.ts';
import { grafanaSuite } from './grafana.suite.ts';
import { pingInflux } from './health.ts';
import { apiUrl, type InfluxTarget } from './http.ts';
import { ALERT_MEASUREMENT, encodeSample, MEASUREMENT, PREDICTION_MEASUREMENT } from './line-protocol.ts';
import { roundTripSuite } from './round-trip.suite.ts';
import { sample } from './testing/fixtures.ts';
import { createInfluxWriter } from './writer.ts';

const { INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET } = process.env;
const target: InfluxTarget | undefined =
  INFLUX_URL && INFLUX_TOKEN && INFLUX_ORG
    ? { url: INFLUX_URL, token: INFLUX_TOKEN, org: INFLUX_ORG, bucket: INFLUX_BUCKET || 'telemetry' }
    : undefined;

if (!target) {
  console.warn(
    'influx.contract.test.ts skipped: set INFLUX_URL, INFLUX_TOKEN and INFLUX_ORG (and optionally INFLUX_BUCKET) ' +
      'to run the adapter against a real InfluxDB 2.x; see packages/influx/README.md',
  );
}

describe.skipIf(!target)(
  target
    ? `the adapter against the real InfluxDB at ${target.url}`
    : 'the adapter against a real InfluxDB 2.x (skipped: set INFLUX_URL, INFLUX_TOKEN, INFLUX_ORG to run against a real InfluxDB)',
  () => {
    const real = target as InfluxTarget;

    it('passes the health check', async () => {
      expect((await pingInflux(real)).version).toMatch(/^v?2\./);
    });

    const { pumpIds } = roundTripSuite(() => real);
    const dashboard = dashboardSuite(() => real);
    const grafana = grafanaSuite(() => real);

    afterAll(async () => {
      // Leave the bucket as we found it. A delete predicate knows only = and AND, so one call per
      // measurement and pump.
      const written = [
        ...[...pumpIds].map((id) => [MEASUREMENT, id] as const),
        ...[...dashboard.pumpIds, ...grafana.pumpIds].flatMap((id) =>
          [MEASUREMENT, PREDICTION_MEASUREMENT, ALERT_MEASUREMENT].map((m) => [m, id] as const),
        ),
      ];
      for (const [measurement, id] of written) {
        const response = await fetch(
          apiUrl(real.url, '/api/v2/delete', { org: real.org, bucket: real.bucket }),
          {
            method: 'POST',
            headers: { authorization: `Token ${real.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              start: '1970-01-01T00:00:00Z',
              stop: new Date(Date.now() + 86_400_000).toISOString(),
              predicate: `_measurement=${JSON.stringify(measurement)} AND pump_id=${JSON.stringify(id)}`,
            }),
          },
        );
        if (!response.ok)
          console.warn(
            `could not delete ${measurement} of pump ${id}: ${response.status} ${await response.text()}`,
          );
      }
    });

    it('rejects a wrong token with 401, and the health check calls it unauthorized', async () => {
      const wrong = { ...real, token: 'not-the-token' };
      const line = encodeSample(sample('rt-unauthorized', Date.now()));
      expect(await createInfluxWriter({ ...wrong, timeoutMs: 10_000 }).write([line])).toMatchObject({
        kind: 'rejected',
        status: 401,
      });
      const err = await pingInflux(wrong).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InfluxError);
      expect((err as InfluxError).code).toBe('unauthorized');
    });
  },
);
