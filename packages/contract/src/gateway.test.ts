import { describe, expect, it } from 'vitest';
import { CHANNELS } from './channels.ts';
import {
  isGatewayGroundTruth,
  isGatewayGroundTruthHeader,
  isGatewayRow,
  isGatewayTelemetry,
  isGatewayTelemetryHeader,
  isGatewayTruthRow,
  isGroundTruth,
  isTelemetry,
} from './fast-check.ts';
import {
  GATEWAY_ROW_FIELDS,
  GATEWAY_TRUTH_ROW_FIELDS,
  type GatewayTruthRow,
  gatewayGroundTruthHeaderSchema,
  gatewayGroundTruthSchema,
  gatewayRowSchema,
  gatewayTelemetryHeaderSchema,
  gatewayTelemetrySchema,
  gatewayTruthRowSchema,
  groundTruthSchema,
  MAX_GATEWAY_PAYLOAD_BYTES,
  MAX_GATEWAY_ROWS,
  type Telemetry,
} from './schemas.ts';
import { topics } from './topics.ts';
import {
  rowGroundTruth,
  rowTelemetry,
  validateGatewayGroundTruth,
  validateGatewayTelemetry,
} from './validate.ts';
import {
  encodeGatewayGroundTruth,
  encodeGatewayRow,
  encodeGatewayTelemetry,
  encodeGatewayTruthRow,
} from './wire.ts';

const TS = 1_767_225_600_000;
const ROW = ['pump-00001', 3, 1.4, 1.2, 0.8, 1.17, 56.6, 6.3, 117, 56.4, 2957.7];
const MESSAGE = { gateway_id: 'gw-01', ts: TS, channels: [...CHANNELS], rows: [ROW] };

/** Values that probe each check: types, bounds, non-finite numbers, missing. */
const PROBES: unknown[] = [
  undefined,
  null,
  '',
  '1',
  true,
  [],
  {},
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -61,
  -1.5,
  -1,
  0,
  0.5,
  100.01,
  400.5,
  1000.5,
  1.5e6,
  946_684_799_999,
  7_258_118_400_001,
  1_767_225_600_000.5,
  2 ** 53,
  'pump-00001',
  'bad id',
  'x'.repeat(65),
  [...CHANNELS].reverse(),
  CHANNELS.slice(1),
  [...CHANNELS, 'extra'],
  [ROW, ROW],
  [ROW, [...ROW, 1]],
  Array.from({ length: MAX_GATEWAY_ROWS + 1 }, () => ROW),
];

function oneChanged<T extends object>(base: T, probes: readonly unknown[]): unknown[] {
  const cases: unknown[] = [base];
  for (const key of Object.keys(base)) {
    for (const probe of probes) {
      const changed = (Array.isArray(base) ? [...base] : { ...base }) as Record<string, unknown>;
      if (probe === undefined && !Array.isArray(base)) delete changed[key];
      else changed[key] = probe;
      cases.push(changed);
    }
  }
  return cases;
}

describe('gateway telemetry fast checks', () => {
  it('agree with the zod schemas on rows, one field changed at a time, and on short and long rows', () => {
    const rows = [...oneChanged(ROW, PROBES), ROW.slice(0, -1), [...ROW, 1], [], 'row', null, { 0: 'x' }];
    for (const row of rows)
      expect(isGatewayRow(row), JSON.stringify(row)).toBe(gatewayRowSchema.safeParse(row).success);
  });

  it('agree with the zod schemas on whole messages and on their headers, one field changed at a time', () => {
    for (const c of oneChanged(MESSAGE, PROBES)) {
      const text = JSON.stringify(c).slice(0, 300);
      expect(isGatewayTelemetryHeader(c), text).toBe(gatewayTelemetryHeaderSchema.safeParse(c).success);
      expect(isGatewayTelemetry(c), text).toBe(gatewayTelemetrySchema.safeParse(c).success);
    }
  });

  it('check every channel of a row against its bounds', () => {
    for (let i = 2; i < GATEWAY_ROW_FIELDS.length; i++) {
      const row = [...ROW];
      row[i] = -1e9;
      expect(isGatewayRow(row), GATEWAY_ROW_FIELDS[i]).toBe(false);
    }
  });
});

describe('a gateway row', () => {
  it('reads as the telemetry message a per-pump topic would carry, each value under its channel', () => {
    const row = ['pump-00007', 9, ...CHANNELS.map((_, i) => i + 1)] as [string, number, ...number[]];
    const t = rowTelemetry(TS, row);
    expect(isTelemetry(t)).toBe(true);
    expect(t).toMatchObject({ pump_id: 'pump-00007', ts: TS, seq: 9 });
    for (const [i, c] of CHANNELS.entries()) expect(t[c], c).toBe(i + 1);
  });

  it('encodes to text that validates back to the same telemetry', () => {
    const samples: Telemetry[] = [0, 1, 2].map((i) =>
      rowTelemetry(TS, [`pump-0000${i}`, i, ...ROW.slice(2)] as never),
    );
    const text = encodeGatewayTelemetry('gw-01', TS, samples.map(encodeGatewayRow));
    expect(gatewayTelemetrySchema.safeParse(JSON.parse(text)).success).toBe(true);
    const verdict = validateGatewayTelemetry(topics.gateway_telemetry('gw-01'), Buffer.from(text));
    expect(verdict).toEqual({ ok: true, gatewayId: 'gw-01', samples, rejected: [] });
  });
});

describe('gateway message validation', () => {
  const topic = topics.gateway_telemetry('gw-01');
  const check = (body: unknown, t = topic) =>
    validateGatewayTelemetry(t, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));

  it('stores the good rows and gives each bad one its own reason, naming the field', () => {
    const rows = [
      ROW,
      ['pump-00002', 0, 1.4, 1.2, 0.8, 1.17, '56.6', 6.3, 117, 56.4, 2957.7],
      ['pump-00003', 0, 1.4, 1.2, 0.8, 1.17, 56.6, 6.3, -5, 56.4, 2957.7],
      ['pump-00004', 0, 1.4],
      { pump_id: 'pump-00005' },
      ['pump 6', 0, 1.4, 1.2, 0.8, 1.17, 56.6, 6.3, 117, 56.4, 2957.7],
      [...ROW.slice(0, 1), 1, ...ROW.slice(2)],
    ];
    const verdict = check({ ...MESSAGE, rows });
    if (!verdict.ok) throw new Error(verdict.detail);
    expect(verdict.samples.map((s) => [s.pump_id, s.seq])).toEqual([
      ['pump-00001', 3],
      ['pump-00001', 1],
    ]);
    expect(verdict.rejected.map((r) => [r.index, r.pumpId, r.reason])).toEqual([
      [1, 'pump-00002', 'wrong_type'],
      [2, 'pump-00003', 'out_of_range'],
      [3, 'pump-00004', 'missing_field'],
      [4, undefined, 'wrong_type'],
      [5, undefined, 'invalid_value'],
    ]);
    expect(verdict.rejected[0]?.detail).toContain('rows[1] temperature');
    expect(verdict.rejected[1]?.detail).toContain('flow');
    expect(verdict.rejected[2]?.detail).toContain('missing vibration_y');
  });

  it('names a value that parsed to Infinity as non-finite', () => {
    const text = JSON.stringify(MESSAGE).replace('56.4', '1e999');
    const verdict = check(text);
    expect(verdict.ok && verdict.rejected.map((r) => r.reason)).toEqual(['non_finite']);
  });

  it.each([
    ['{"gateway_id":"gw-01",', 'truncated'],
    ['', 'empty'],
    ['[1]', 'not_an_object'],
    [JSON.stringify({ ...MESSAGE, gateway_id: 'gw-02' }), 'gateway_mismatch'],
    [JSON.stringify({ ...MESSAGE, channels: [...CHANNELS].reverse() }), 'invalid_value'],
    [JSON.stringify({ ...MESSAGE, ts: 5 }), 'out_of_range'],
    [JSON.stringify({ ...MESSAGE, rows: undefined }), 'missing_field'],
    [JSON.stringify({ ...MESSAGE, rows: {} }), 'wrong_type'],
  ])('refuses the whole message %s as %s', (payload, reason) => {
    const verdict = check(payload);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toBe(reason);
  });

  it('refuses a per-pump topic, and an oversized payload before parsing it', () => {
    expect(check(MESSAGE, topics.telemetry('gw-01'))).toMatchObject({ ok: false, reason: 'unknown_topic' });
    const big = Buffer.alloc(MAX_GATEWAY_PAYLOAD_BYTES + 1, 0x20);
    expect(validateGatewayTelemetry(topic, big)).toMatchObject({ ok: false, reason: 'oversized' });
  });

  it('takes a thousand pumps in one message, within the payload limit', () => {
    const rows = Array.from({ length: MAX_GATEWAY_ROWS }, (_, i) =>
      encodeGatewayRow(
        rowTelemetry(TS, [
          `pump-${String(i).padStart(5, '0')}`,
          1e9,
          999,
          999,
          999,
          999,
          399,
          999,
          99999,
          99999,
          99999,
        ]),
      ),
    );
    const text = encodeGatewayTelemetry('gw-01', TS, rows);
    expect(text.length).toBeLessThan(MAX_GATEWAY_PAYLOAD_BYTES);
    const verdict = check(text);
    expect(verdict.ok && verdict.samples.length).toBe(MAX_GATEWAY_ROWS);
  });
});

const TRUTH_ROW = ['pump-00001', 3, 'WARNING', 71.25, 812.5, 'BEARING_WEAR', 2, ['heatwave']];
const TRUTH = { gateway_id: 'gw-01', ts: TS, fields: [...GATEWAY_TRUTH_ROW_FIELDS], rows: [TRUTH_ROW] };

/** PROBES, and values that probe the ground truth's own fields. */
const TRUTH_PROBES: unknown[] = [
  ...PROBES.filter((p) => !(Array.isArray(p) && p.length > 100)),
  'HEALTHY',
  'healthy',
  'bearing_wear',
  'BEARING_WEAR',
  'meteor',
  100,
  1.5e300,
  [],
  ['heatwave', 'dropout'],
  ['meteor'],
  [1],
  [...GATEWAY_TRUTH_ROW_FIELDS].reverse(),
  GATEWAY_TRUTH_ROW_FIELDS.slice(1),
  [TRUTH_ROW, [...TRUTH_ROW, 1]],
  Array.from({ length: MAX_GATEWAY_ROWS + 1 }, () => TRUTH_ROW),
];

describe('gateway ground-truth fast checks', () => {
  it('agree with the zod schemas on rows, one field changed at a time, and on short and long rows', () => {
    const rows = [
      ...oneChanged(TRUTH_ROW, TRUTH_PROBES),
      TRUTH_ROW.slice(0, -1),
      [...TRUTH_ROW, 1],
      [],
      'row',
      null,
    ];
    for (const row of rows)
      expect(isGatewayTruthRow(row), JSON.stringify(row)).toBe(gatewayTruthRowSchema.safeParse(row).success);
  });

  it('agree with the zod schemas on whole messages and on their headers, one field changed at a time', () => {
    for (const c of oneChanged(TRUTH, TRUTH_PROBES)) {
      const text = JSON.stringify(c).slice(0, 300);
      expect(isGatewayGroundTruthHeader(c), text).toBe(gatewayGroundTruthHeaderSchema.safeParse(c).success);
      expect(isGatewayGroundTruth(c), text).toBe(gatewayGroundTruthSchema.safeParse(c).success);
    }
  });

  it('refuse a telemetry header as a ground-truth header, and the other way round', () => {
    expect(isGatewayGroundTruthHeader(MESSAGE)).toBe(false);
    expect(isGatewayTelemetryHeader(TRUTH)).toBe(false);
  });
});

describe('a gateway ground-truth row', () => {
  it('reads as the ground truth a per-pump topic would carry', () => {
    const truth = rowGroundTruth(TS, TRUTH_ROW as GatewayTruthRow);
    expect(isGroundTruth(truth)).toBe(true);
    expect(groundTruthSchema.parse(truth)).toEqual({
      pump_id: 'pump-00001',
      ts: TS,
      seq: 3,
      state: 'WARNING',
      health_pct: 71.25,
      rul_h: 812.5,
      failure_mode: 'BEARING_WEAR',
      lifecycle: 2,
      chaos: ['heatwave'],
    });
  });

  it('encodes to text that validates back to the same ground truth', () => {
    const truths = [0, 1, 2].map((i) =>
      rowGroundTruth(TS, [
        `pump-0000${i}`,
        i,
        ...TRUTH_ROW.slice(2, -1),
        i === 1 ? [] : ['dropout'],
      ] as never),
    );
    const text = encodeGatewayGroundTruth('gw-01', TS, truths.map(encodeGatewayTruthRow));
    expect(gatewayGroundTruthSchema.safeParse(JSON.parse(text)).success).toBe(true);
    const verdict = validateGatewayGroundTruth(topics.gateway_groundtruth('gw-01'), Buffer.from(text));
    expect(verdict).toEqual({ ok: true, gatewayId: 'gw-01', samples: truths, rejected: [] });
  });
});

describe('gateway ground-truth validation', () => {
  const topic = topics.gateway_groundtruth('gw-01');
  const check = (body: unknown, t = topic) =>
    validateGatewayGroundTruth(t, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));

  it('keeps the good rows and gives each bad one its own reason, naming the field', () => {
    const rows = [
      TRUTH_ROW,
      ['pump-00002', 0, 'BROKEN', 101, 0, 'BEARING_WEAR', 0, []],
      ['pump-00003', 0, 'WEIRD', 50, 1, 'BEARING_WEAR', 0, []],
      ['pump-00004', 0, 'HEALTHY'],
      ['pump-00005', 0, 'HEALTHY', 90, '1', 'BEARING_WEAR', 0, []],
      ['pump-00006', 0, 'HEALTHY', 90, 1, 'BEARING_WEAR', 0, ['meteor']],
      [...TRUTH_ROW.slice(0, 1), 4, ...TRUTH_ROW.slice(2)],
    ];
    const verdict = check({ ...TRUTH, rows });
    if (!verdict.ok) throw new Error(verdict.detail);
    expect(verdict.samples.map((s) => [s.pump_id, s.seq])).toEqual([
      ['pump-00001', 3],
      ['pump-00001', 4],
    ]);
    expect(verdict.rejected.map((r) => [r.index, r.pumpId, r.reason])).toEqual([
      [1, 'pump-00002', 'out_of_range'],
      [2, 'pump-00003', 'invalid_value'],
      [3, 'pump-00004', 'missing_field'],
      [4, 'pump-00005', 'wrong_type'],
      [5, 'pump-00006', 'invalid_value'],
    ]);
    expect(verdict.rejected[0]?.detail).toContain('rows[1] health_pct');
    expect(verdict.rejected[1]?.detail).toContain('state');
    expect(verdict.rejected[2]?.detail).toContain('missing health_pct');
    expect(verdict.rejected[3]?.detail).toContain('rul_h');
    expect(verdict.rejected[4]?.detail).toContain('chaos');
  });

  it.each([
    ['{"gateway_id":"gw-01",', 'truncated'],
    ['[1]', 'not_an_object'],
    [JSON.stringify({ ...TRUTH, gateway_id: 'gw-02' }), 'gateway_mismatch'],
    [JSON.stringify({ ...TRUTH, fields: [...GATEWAY_TRUTH_ROW_FIELDS].reverse() }), 'invalid_value'],
    [JSON.stringify({ ...TRUTH, fields: undefined, channels: [...CHANNELS] }), 'missing_field'],
    [JSON.stringify({ ...TRUTH, ts: 5 }), 'out_of_range'],
  ])('refuses the whole message %s as %s', (payload, reason) => {
    const verdict = check(payload);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toBe(reason);
  });

  it('refuses a telemetry topic, and a gateway ground-truth message on it', () => {
    expect(check(TRUTH, topics.gateway_telemetry('gw-01'))).toMatchObject({
      ok: false,
      reason: 'unknown_topic',
    });
    expect(
      validateGatewayTelemetry(topics.gateway_groundtruth('gw-01'), Buffer.from(JSON.stringify(MESSAGE))),
    ).toMatchObject({ ok: false, reason: 'unknown_topic' });
  });

  it('takes a thousand pumps with every chaos kind in one message, within the payload limit', () => {
    const rows = Array.from({ length: MAX_GATEWAY_ROWS }, (_, i) =>
      encodeGatewayTruthRow(
        rowGroundTruth(TS, [
          `pump-${String(i).padStart(5, '0')}`,
          1e9,
          'BROKEN',
          100,
          99999.999,
          'BEARING_WEAR',
          999,
          ['vibration_glitch', 'heatwave', 'sensor_freeze', 'dropout', 'malformed'],
        ]),
      ),
    );
    const text = encodeGatewayGroundTruth('gw-01', TS, rows);
    expect(text.length).toBeLessThan(MAX_GATEWAY_PAYLOAD_BYTES);
    const verdict = check(text);
    expect(verdict.ok && verdict.samples.length).toBe(MAX_GATEWAY_ROWS);
  });
});
