/** The InfluxDB settings every program that talks to InfluxDB reads, with the same names everywhere. */
import { type OptionSpecs, urlOption } from '@pdm/service-kit';
import { z } from 'zod';

export const influxOptions = {
  influxUrl: {
    schema: urlOption('http://localhost:8086', ['http', 'https']),
    env: 'INFLUX_URL',
    help: 'InfluxDB 2.x URL',
  },
  influxToken: {
    schema: z.string().optional(),
    env: 'INFLUX_TOKEN',
    help: 'InfluxDB API token (required with STORE=influxdb)',
  },
  influxOrg: {
    schema: z.string().optional(),
    env: 'INFLUX_ORG',
    help: 'InfluxDB organisation (required with STORE=influxdb)',
  },
  influxBucket: { schema: z.string().min(1).default('pdm'), env: 'INFLUX_BUCKET', help: 'InfluxDB bucket' },
} as const satisfies OptionSpecs;

/** The settings InfluxDB needs but cannot default, named when missing. */
export function missingInfluxSettings(config: {
  readonly influxToken?: string | undefined;
  readonly influxOrg?: string | undefined;
}): string[] {
  return [
    ...(config.influxToken ? [] : ['INFLUX_TOKEN: required with STORE=influxdb']),
    ...(config.influxOrg ? [] : ['INFLUX_ORG: required with STORE=influxdb']),
  ];
}
