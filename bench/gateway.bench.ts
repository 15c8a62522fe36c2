/**
 * Issue 15: which form a gateway message takes. The same K pumps' samples as K per-pump messages (today),
 * as one message holding an array of full telemetry objects, and as the compact form (channel names once,
 * one row per pump): bytes on the wire, and parse + validate time until each sample is a telemetry object.
 */
import {
  encodeGatewayRow,
  encodeGatewayTelemetry,
  encodeTelemetry,
  isTelemetry,
  type Telemetry,
  telemetrySchema,
  topics,
  validateGatewayTelemetry,
  validateMessage,
} from '@pdm/contract';
import { startMosquitto, startService } from '@pdm/testkit';
import { publishQueued } from './inference.bench.ts';
import { metric } from './metric.ts';
import { type BenchRow, formatNumber } from './table.ts';

const K = 100;
const TS = 1_767_225_600_000;
const ROUNDS = 4000;

function samples(round: number): Telemetry[] {
  return Array.from({ length: K }, (_, i) => {
    const v = (k: number) =>
      Math.round(Math.abs(Math.sin(round * 7.3 + i + k)) * 10 ** ((i + k) % 3) * 100) / 100;
    return {
      pump_id: `pump-${String(i).padStart(5, '0')}`,
      ts: TS + round * 1000,
      seq: round,
      vibration_x: v(1),
      vibration_y: v(2),
      vibration_z: v(3),
      vibration_rms: v(4),
      temperature: 20 + v(5),
      pressure: v(6),
      flow: 100 + v(7),
      current: v(8),
      rpm: 2900 + v(9),
    };
  });
}

interface Form {
  readonly name: string;
  /** the payloads that carry one round of K samples */
  readonly encode: (s: Telemetry[], round: number) => Buffer[];
  /** parse and validate them; returns the samples it accepted */
  readonly decode: (payloads: Buffer[]) => number;
}

const expectations = { telemetry: telemetrySchema };
const GATEWAY = 'gw-0001';
const gatewayTopic = topics.gateway_telemetry(GATEWAY);

const FORMS: Form[] = [
  {
    name: `${K} per-pump messages`,
    encode: (s) => s.map((m) => Buffer.from(encodeTelemetry(m))),
    decode: (payloads) => {
      let ok = 0;
      for (let i = 0; i < payloads.length; i++) {
        const v = validateMessage(
          topics.telemetry(`pump-${String(i).padStart(5, '0')}`),
          payloads[i] as Buffer,
          expectations,
        );
        if (v.ok) ok += 1;
      }
      return ok;
    },
  },
  {
    name: `one message, an array of ${K} telemetry objects`,
    encode: (s, round) => [
      Buffer.from(
        `{"gateway_id":"${GATEWAY}","ts":${TS + round * 1000},"samples":[${s.map(encodeTelemetry).join(',')}]}`,
      ),
    ],
    decode: (payloads) => {
      const body = JSON.parse((payloads[0] as Buffer).toString('utf8')) as { samples: unknown[] };
      let ok = 0;
      for (const m of body.samples) if (isTelemetry(m)) ok += 1;
      return ok;
    },
  },
  {
    name: `one message, compact: channels once, ${K} rows`,
    encode: (s, round) => [
      Buffer.from(encodeGatewayTelemetry(GATEWAY, TS + round * 1000, s.map(encodeGatewayRow))),
    ],
    decode: (payloads) => {
      const v = validateGatewayTelemetry(gatewayTopic, payloads[0] as Buffer);
      return v.ok ? v.samples.length : 0;
    },
  },
];

function measure(form: Form): { bytes: number; samplesPerS: number } {
  const rounds = Array.from({ length: ROUNDS }, (_, r) => form.encode(samples(r), r));
  const bytes = rounds[0]?.reduce((sum, p) => sum + p.length, 0) ?? 0;
  // Warm up the JIT on a quarter, then time the whole run.
  for (const payloads of rounds.slice(0, ROUNDS / 4)) form.decode(payloads);
  const started = performance.now();
  let accepted = 0;
  for (const payloads of rounds) accepted += form.decode(payloads);
  const seconds = (performance.now() - started) / 1000;
  if (accepted !== ROUNDS * K) throw new Error(`${form.name}: accepted ${accepted} of ${ROUNDS * K}`);
  return { bytes, samplesPerS: accepted / seconds };
}

async function gatewayFormat(): Promise<BenchRow[]> {
  const [perPump, objects, compact] = FORMS.map(measure) as [
    ReturnType<typeof measure>,
    ReturnType<typeof measure>,
    ReturnType<typeof measure>,
  ];
  const row = (
    name: string,
    m: ReturnType<typeof measure>,
    target: string,
    baseline: string,
    ok: boolean | undefined,
  ): BenchRow => ({
    benchmark: `gateway form: ${name}, parse + validate, ${formatNumber(m.bytes / K, 1)} bytes/sample`,
    figure: `${formatNumber(m.samplesPerS)} samples/s, ${formatNumber(m.bytes)} bytes`,
    target,
    baseline,
    ok,
  });
  const vs = (m: ReturnType<typeof measure>) =>
    `${formatNumber(m.bytes)} bytes, ${formatNumber(m.samplesPerS)} samples/s`;
  return [
    row((FORMS[0] as Form).name, perPump, '(today; MQTT headers and topics not counted)', '', undefined),
    row((FORMS[1] as Form).name, objects, '', `per-pump: ${vs(perPump)}`, undefined),
    row(
      (FORMS[2] as Form).name,
      compact,
      'fewer bytes and faster than objects',
      `objects: ${vs(objects)}`,
      compact.bytes < objects.bytes && compact.samplesPerS > objects.samplesPerS,
    ),
  ];
}

const INGEST_GATEWAYS = 10;
const INGEST_ROUNDS = 60;

/** 1,000 pumps (10 gateways of K) for 60 rounds: the same samples per pump, and per gateway. */
function ingestMessages(): { perPump: Msg[]; gateways: Msg[]; samples: number } {
  const perPump: Msg[] = [];
  const gateways: Msg[] = [];
  for (let round = 0; round < INGEST_ROUNDS; round++) {
    for (let g = 0; g < INGEST_GATEWAYS; g++) {
      const id = `gw-${g}`;
      const fleet = samples(round).map((m) => ({ ...m, pump_id: `${m.pump_id}-${g}` }));
      for (const m of fleet)
        perPump.push({ topic: topics.telemetry(m.pump_id), payload: encodeTelemetry(m) });
      const ts = TS + round * 1000;
      gateways.push({
        topic: topics.gateway_telemetry(id),
        payload: encodeGatewayTelemetry(id, ts, fleet.map(encodeGatewayRow)),
      });
    }
  }
  return { perPump, gateways, samples: INGEST_ROUNDS * INGEST_GATEWAYS * K };
}

type Msg = { topic: string; payload: string };

/**
 * Acquisition draining the same samples queued at the broker, as per-pump messages and as gateway
 * messages of K: samples stored per second, acknowledged after commit (FULL fsync), one connection.
 */
async function gatewayIngest(): Promise<BenchRow> {
  const { perPump, gateways, samples: total } = ingestMessages();
  const drain = async (messages: Msg[], clientId: string): Promise<number> => {
    const broker = await startMosquitto();
    try {
      const env = { MQTT_URL: broker.url, MQTT_CLIENT_ID: clientId };
      const args = ['--http-port', '0'];
      // A first start makes the persistent session the messages then queue in.
      const first = startService('acquisition', args, env);
      await first.waitForLine(/"subscribed"/);
      first.signal('SIGTERM');
      await first.exited;
      await publishQueued(broker.url, messages);
      const acq = startService('acquisition', args, env, { cwd: first.cwd });
      try {
        const line = await acq.waitForLine(/serving \/healthz and \/metrics/);
        const port = (JSON.parse(line) as { port: number }).port;
        await acq.waitForLine(/connected to MQTT broker/);
        const started = performance.now();
        while ((await metric(port, 'pdm_acquisition_stored_total')) < total)
          await new Promise((r) => setTimeout(r, 100));
        return total / ((performance.now() - started) / 1000);
      } finally {
        acq.signal('SIGTERM');
        await acq.exited;
      }
    } finally {
      await broker.stop();
    }
  };
  const perPumpRate = await drain(perPump, 'bench-gw-ingest-pump');
  const gatewayRate = await drain(gateways, 'bench-gw-ingest-gw');
  return {
    benchmark: `acquisition: drain ${formatNumber(total)} queued samples into SQLite as ${formatNumber(gateways.length)} gateway messages of ${K}`,
    figure: `${formatNumber(gatewayRate)} samples/s`,
    target: 'faster than per-pump messages',
    baseline: `the same samples as ${formatNumber(perPump.length)} per-pump messages: ${formatNumber(perPumpRate)} samples/s`,
    ok: gatewayRate > perPumpRate,
  };
}

export const gatewayBenchmarks = { 'gateway-format': gatewayFormat, 'gateway-ingest': gatewayIngest };
