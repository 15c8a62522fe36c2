/** What tests of InfluxDB writers and readers share, here and in the services (@pdm/influx/testing). */

export { type GrafanaSuiteData, type GrafanaSuiteStore, grafanaSuite } from '../grafana.suite.ts';
export * from './fixtures.ts';
export * from './grafana.ts';
export * from './helpers.ts';
