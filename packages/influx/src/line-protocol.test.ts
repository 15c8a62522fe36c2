import { type Alert, CHANNELS, type LabelledSample, type Prediction } from '@pdm/contract';
import { parseLineProtocol } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';
import { InfluxError } from './errors.ts';
import {
  ALERT_KIND_TAG,
  ALERT_MEASUREMENT,
  encodeAlert,
  encodePrediction,
  encodeSample,
  MEASUREMENT,
  num,
  PREDICTION_MEASUREMENT,
  REQUIRED_FIELDS,
  stringField,
} from './line-protocol.ts';
import { sample } from './round-trip.suite.ts';

/** The point InfluxDB would store for these lines, read by the fake's strict parser. */
function parsed(...lines: string[]) {
  const result = parseLineProtocol(lines.join('\n'), 'ms');
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.points.map((p) => ({
    measurement: p.measurement,
    tags: Object.fromEntries(p.tags),
    fields: Object.fromEntries(p.fields),
    time: p.time,
  }));
}

function refusal(s: LabelledSample): InfluxError {
  try {
    encodeSample(s);
  } catch (err) {
    expect(err).toBeInstanceOf(InfluxError);
    return err as InfluxError;
  }
  throw new Error('encodeSample accepted the sample');
}

describe('encodeSample', () => {
  it('writes a sample as one point: pump_id the only tag, ts in milliseconds, seq an integer', () => {
    const s = sample('P-7', 1_700_000_123_000, {
      state: 'FAULTY',
      health_pct: 12.5,
      rul_h: 3.25,
      failure_mode: 'MISALIGNMENT',
    });
    expect(parsed(encodeSample(s))).toEqual([
      {
        measurement: MEASUREMENT,
        tags: { pump_id: 'P-7' },
        fields: {
          vibration_x: s.vibration_x,
          vibration_y: s.vibration_y,
          vibration_z: s.vibration_z,
          vibration_rms: s.vibration_rms,
          temperature: s.temperature,
          pressure: s.pressure,
          flow: s.flow,
          current: s.current,
          rpm: s.rpm,
          seq: BigInt(s.seq),
          health_pct: 12.5,
          rul_h: 3.25,
          state: 'FAULTY',
          failure_mode: 'MISALIGNMENT',
        },
        time: 1_700_000_123_000n * 1_000_000n,
      },
    ]);
  });

  it('writes every channel of CHANNELS as a float field', () => {
    // distinct values per channel catch a channel written under another's name
    const s = sample('P-1', 1_700_000_000_000);
    CHANNELS.forEach((c, i) => {
      s[c] = 100 + i + 0.5;
    });
    const [point] = parsed(encodeSample(s));
    for (const [i, c] of CHANNELS.entries()) expect(point?.fields[c]).toBe(100 + i + 0.5);
  });

  it('leaves out the ground truth a sample does not carry', () => {
    const [point] = parsed(encodeSample(sample('P-1', 1_700_000_000_000)));
    expect(Object.keys(point?.fields ?? {}).sort()).toEqual([...REQUIRED_FIELDS].sort());
  });

  it('prints numbers so they parse back to the very same double', () => {
    const awkward = [0.1 + 0.2, 1e-7, 1e21, 123456.789, 5e-324, 1.7976931348623157e308, -0.0001, 0];
    const lines = awkward.map((flow, i) =>
      encodeSample(sample('P-1', 1_700_000_000_000 + i * 1000, { flow })),
    );
    expect(parsed(...lines).map((p) => p.fields.flow)).toEqual(awkward);
  });

  it('escapes commas, spaces and equals signs in the pump id', () => {
    const id = 'pump 7,hall=B';
    const line = encodeSample(sample(id, 1_700_000_000_000));
    expect(line.startsWith('pump_telemetry,pump_id=pump\\ 7\\,hall\\=B ')).toBe(true);
    expect(parsed(line)[0]?.tags).toEqual({ pump_id: id });
  });

  it('escapes double quotes and backslashes in string fields', () => {
    const text = 'say "hi" \\ bye';
    expect(parsed(`m s=${stringField(text)} 1`)[0]?.fields.s).toBe(text);
  });

  it.each([
    ['NaN in a channel', { flow: Number.NaN }, 'flow is NaN'],
    ['Infinity in the ground truth', { health_pct: Number.POSITIVE_INFINITY }, 'health_pct is Infinity'],
    ['a fractional seq', { seq: 1.5 }, 'seq is 1.5'],
    ['a fractional ts', { ts: 1_700_000_000_000.5 }, 'ts is 1700000000000.5'],
    ['a line break in the pump id', { pump_id: 'P\n1' }, 'cannot be a line protocol tag'],
    ['a backslash in the pump id', { pump_id: 'P\\' }, 'cannot be a line protocol tag'],
    ['an empty pump id', { pump_id: '' }, 'cannot be a line protocol tag'],
  ])('refuses %s, so one bad row cannot sink a batch', (_, change, message) => {
    const err = refusal({ ...sample('P-1', 1_700_000_000_000), ...change });
    expect(err.code).toBe('invalid_sample');
    expect(err.message).toContain(message);
  });
});

describe('float fields', () => {
  it.each([
    [0, '0'],
    [1.404, '1.404'],
    [1.4, '1.400'],
    [-2.05, '-2.050'],
    [123.456, '123.456'],
    [1e-7, '1e-7'],
    [1.2345, '1.2345'],
    [0.1 + 0.2, String(0.1 + 0.2)],
    [1e20, '100000000000000000000'],
    [-0.001, '-0.001'],
  ])('prints %s as %s, which parses back to the same double', (x, text) => {
    expect(num(x)).toBe(text);
    expect(Number(num(x))).toBe(x);
  });

  it('round-trips every value with up to three decimals in a wide range', () => {
    for (let i = -200_000; i <= 200_000; i += 7) {
      const x = i / 1000;
      expect(Number(num(x))).toBe(x);
    }
  });
});

describe('encodePrediction and encodeAlert', () => {
  const prediction: Prediction = {
    pump_id: 'pump 7',
    ts: 1_767_225_600_000,
    seq: 42,
    state: 'WARNING',
    raw_state: 'FAULTY',
    probabilities: { HEALTHY: 0.1, WARNING: 0.45, FAULTY: 0.45 },
    vibration_rms: 4.713,
    iso_zone: 'C',
    model_version: '2026-11-26T11:15:40.522Z#3f1c0d2e',
    latency_ms: 3.41,
  };
  const alert: Alert = {
    pump_id: 'pump-7',
    ts: 1_767_225_731_000,
    seq: 131,
    kind: 'alarm',
    state: 'FAULTY',
    previous_state: 'WARNING',
    model_version: 'v "quoted" \\ back',
    evidence: {
      raw_states: ['WARNING', 'FAULTY'],
      probabilities: { FAULTY: 0.62, WARNING: 0.38 },
      vibration_rms: 5.93,
      iso_zone: 'C',
      temperature: 71.2,
    },
  };

  it('writes a prediction as a point of pump_prediction: pump_id the only tag, a float per known class', () => {
    expect(parsed(encodePrediction(prediction))).toEqual([
      {
        measurement: PREDICTION_MEASUREMENT,
        tags: { pump_id: 'pump 7' },
        fields: {
          state: 'WARNING',
          raw_state: 'FAULTY',
          p_healthy: 0.1,
          p_warning: 0.45,
          p_faulty: 0.45,
          vibration_rms: 4.713,
          iso_zone: 'C',
          model_version: '2026-11-26T11:15:40.522Z#3f1c0d2e',
          latency_ms: 3.41,
          seq: 42n,
        },
        time: 1_767_225_600_000n * 1_000_000n,
      },
    ]);
  });

  it('adds rul_h (float) and rul_model_version (string) to a prediction made while a RUL model serves', () => {
    const [point] = parsed(
      encodePrediction({ ...prediction, rul_h: 12.345678, rul_model_version: 'rul "v" 2' }),
    );
    expect(point?.fields).toEqual({
      ...parsed(encodePrediction(prediction))[0]?.fields,
      rul_h: 12.345678,
      rul_model_version: 'rul "v" 2',
    });
    expect(parsed(encodePrediction({ ...prediction, rul_h: 0 }))[0]?.fields.rul_h).toBe(0);
  });

  it('writes a rul_low alert under its own kind tag, with the RUL in its evidence', () => {
    const low: Alert = {
      ...alert,
      kind: 'rul_low',
      state: 'WARNING',
      previous_state: 'WARNING',
      evidence: { ...alert.evidence, rul_h: 7.5 },
    };
    const [point] = parsed(encodeAlert(low));
    expect(point?.tags).toEqual({ pump_id: 'pump-7', kind: 'rul_low' });
    expect(JSON.parse(point?.fields.evidence as string)).toEqual(low.evidence);
  });

  it('writes an alert as a point of pump_alert tagged with pump_id and kind, the evidence as a JSON string', () => {
    const [point] = parsed(encodeAlert(alert));
    expect(point).toEqual({
      measurement: ALERT_MEASUREMENT,
      tags: { pump_id: 'pump-7', [ALERT_KIND_TAG]: 'alarm' },
      fields: {
        state: 'FAULTY',
        previous_state: 'WARNING',
        model_version: alert.model_version,
        evidence: JSON.stringify(alert.evidence),
        seq: 131n,
      },
      time: 1_767_225_731_000n * 1_000_000n,
    });
    expect(JSON.parse(point?.fields.evidence as string)).toEqual(alert.evidence);
    // an alarm and a recovery at the same time are two series, so neither overwrites the other
    const recovered = parsed(encodeAlert({ ...alert, kind: 'recovered' }))[0];
    expect(recovered?.tags).toEqual({ pump_id: 'pump-7', kind: 'recovered' });
  });

  it('refuses a number line protocol cannot carry, naming it', () => {
    const refuse = (encode: () => string) => {
      try {
        encode();
      } catch (err) {
        expect(err).toBeInstanceOf(InfluxError);
        return (err as InfluxError).message;
      }
      throw new Error('accepted');
    };
    expect(refuse(() => encodePrediction({ ...prediction, latency_ms: Number.NaN }))).toMatch(/non-finite/);
    expect(refuse(() => encodePrediction({ ...prediction, rul_h: Number.POSITIVE_INFINITY }))).toMatch(
      /non-finite/,
    );
    expect(
      refuse(() => encodePrediction({ ...prediction, probabilities: { HEALTHY: Number.POSITIVE_INFINITY } })),
    ).toMatch(/HEALTHY/);
    expect(refuse(() => encodeAlert({ ...alert, seq: 1.5 }))).toMatch(/seq is 1.5/);
  });
});
