/**
 * Fast JSON encoding of telemetry and training samples, for the simulators' hot loop.
 *
 * Values are printed from scaled integers at their published resolution (CHANNEL_INFO.decimals).
 * That is about twice as fast as JSON.stringify, which runs a shortest-round-trip conversion for every
 * double, and JSON.parse of the output gives exactly the numbers that rounding to that resolution gives.
 * wire.test.ts checks the fields against the schemas, so a channel added there cannot be forgotten here.
 */
import { CHANNEL_INFO, CHANNELS, type Channel } from './channels.ts';
import {
  GATEWAY_TRUTH_ROW_FIELDS,
  type GroundTruth,
  HEALTH_DECIMALS,
  RUL_DECIMALS,
  type Telemetry,
  type TrainingSample,
} from './schemas.ts';

const ZEROS = '0000000000';

/** `x` with `decimals` places as a JSON number; null for NaN or ±Infinity, which JSON cannot hold. */
export function fixedJson(x: number, decimals: number): string {
  const factor = POWERS[decimals] as number;
  const scaled = Math.round(Math.abs(x) * factor);
  if (!Number.isSafeInteger(scaled)) return Number.isFinite(x) ? String(x) : 'null';
  const whole = Math.floor(scaled / factor);
  const sign = x < 0 && scaled !== 0 ? '-' : '';
  if (decimals === 0) return sign + whole;
  const frac = String(scaled - whole * factor);
  return `${sign}${whole}.${frac.length < decimals ? ZEROS.slice(0, decimals - frac.length) + frac : frac}`;
}

const POWERS = Array.from({ length: 11 }, (_, d) => 10 ** d);
const d = (c: Channel) => CHANNEL_INFO[c].decimals;
const VIB = d('vibration_rms');
const TEMP = d('temperature');
const PRESSURE = d('pressure');
const FLOW = d('flow');
const CURRENT = d('current');
const RPM = d('rpm');

function channelValues(m: Telemetry): string {
  return (
    `${fixedJson(m.vibration_x, VIB)},${fixedJson(m.vibration_y, VIB)},${fixedJson(m.vibration_z, VIB)}` +
    `,${fixedJson(m.vibration_rms, VIB)},${fixedJson(m.temperature, TEMP)},${fixedJson(m.pressure, PRESSURE)}` +
    `,${fixedJson(m.flow, FLOW)},${fixedJson(m.current, CURRENT)},${fixedJson(m.rpm, RPM)}`
  );
}

function telemetryFields(m: Telemetry): string {
  return (
    `{"pump_id":"${m.pump_id}","ts":${m.ts},"seq":${m.seq}` +
    `,"vibration_x":${fixedJson(m.vibration_x, VIB)},"vibration_y":${fixedJson(m.vibration_y, VIB)}` +
    `,"vibration_z":${fixedJson(m.vibration_z, VIB)},"vibration_rms":${fixedJson(m.vibration_rms, VIB)}` +
    `,"temperature":${fixedJson(m.temperature, TEMP)},"pressure":${fixedJson(m.pressure, PRESSURE)}` +
    `,"flow":${fixedJson(m.flow, FLOW)},"current":${fixedJson(m.current, CURRENT)},"rpm":${fixedJson(m.rpm, RPM)}`
  );
}

/** pump_id needs no escaping: the schema limits it to ID_PATTERN. */
export function encodeTelemetry(m: Telemetry): string {
  return `${telemetryFields(m)}}`;
}

export function encodeTrainingSample(m: TrainingSample): string {
  return (
    `${telemetryFields(m)},"state":"${m.state}","health_pct":${fixedJson(m.health_pct, HEALTH_DECIMALS)}` +
    `,"rul_h":${fixedJson(m.rul_h, RUL_DECIMALS)},"failure_mode":"${m.failure_mode}"}`
  );
}

/** One pump's row of a gateway message, `["pump-00001",0,1.404,…]`: pump_id, seq, then CHANNELS in order. */
export function encodeGatewayRow(m: Telemetry): string {
  return `["${m.pump_id}",${m.seq},${channelValues(m)}]`;
}

const GATEWAY_CHANNELS = JSON.stringify(CHANNELS);

/**
 * A gateway telemetry message from rows made by encodeGatewayRow (or, to test a consumer, any other JSON
 * text). `gatewayId` needs no escaping: the schema limits it to ID_PATTERN.
 */
export function encodeGatewayTelemetry(gatewayId: string, ts: number, rows: readonly string[]): string {
  return `{"gateway_id":"${gatewayId}","ts":${ts},"channels":${GATEWAY_CHANNELS},"rows":[${rows.join(',')}]}`;
}

/**
 * One pump's row of a gateway ground-truth message, `["pump-00001",0,"HEALTHY",99.98,1234.567,…]`, in
 * GATEWAY_TRUTH_ROW_FIELDS order. Its strings need no escaping: the schema limits them to ids and names.
 */
export function encodeGatewayTruthRow(m: GroundTruth): string {
  const chaos = m.chaos.length === 0 ? '[]' : JSON.stringify(m.chaos);
  return (
    `["${m.pump_id}",${m.seq},"${m.state}",${fixedJson(m.health_pct, HEALTH_DECIMALS)}` +
    `,${fixedJson(m.rul_h, RUL_DECIMALS)},"${m.failure_mode}",${m.lifecycle},${chaos}]`
  );
}

const GATEWAY_TRUTH_FIELDS = JSON.stringify(GATEWAY_TRUTH_ROW_FIELDS);

/** A gateway ground-truth message from rows made by encodeGatewayTruthRow; see encodeGatewayTelemetry. */
export function encodeGatewayGroundTruth(gatewayId: string, ts: number, rows: readonly string[]): string {
  return `{"gateway_id":"${gatewayId}","ts":${ts},"fields":${GATEWAY_TRUTH_FIELDS},"rows":[${rows.join(',')}]}`;
}
