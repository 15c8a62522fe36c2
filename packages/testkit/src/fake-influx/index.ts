/** The fake InfluxDB's public face: what tests and benchmarks use. */
export { formatFloat } from './annotated-csv.ts';
export { type FieldType, type FieldValue, fieldType } from './fields.ts';
export { parseFlux } from './flux.ts';
export {
  type LineProtocolResult,
  type ParsedPoint,
  PRECISIONS,
  type Precision,
  parseLineProtocol,
} from './line-protocol.ts';
export { formatRfc3339Nano, parseRfc3339 } from './rfc3339.ts';
export {
  type FakeFault,
  type FakeInflux,
  type FakeInfluxOptions,
  type FakeInfluxStats,
  type FakeRequest,
  type QueryHold,
  startFakeInflux,
} from './server.ts';
export type { FakePoint } from './storage.ts';
