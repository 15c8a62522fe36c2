import { CHANNELS, type ChaosKind, gatewayRowSchema, overallVibration, telemetrySchema } from '@pdm/contract';
import { Rng } from '@pdm/random';
import { describe, expect, it } from 'vitest';
import { type ChaosRates, HEATWAVE, malformedPayload, malformedRow, PumpChaos } from './chaos.ts';
import type { ChannelReadings } from './pump.ts';

const NONE: ChaosRates = { glitch: 0, heatwave: 0, freeze: 0, dropout: 0, malformed: 0 };

/** Readings that change every sample, so a frozen sensor shows. */
function steady(i: number): ChannelReadings {
  const wobble = 0.001 * (i % 97);
  const [vx, vy, vz] = [1.4 + wobble, 1.2 + wobble, 0.8 + wobble];
  return {
    vibration_x: vx,
    vibration_y: vy,
    vibration_z: vz,
    vibration_rms: overallVibration(vx, vy, vz),
    temperature: 55 + wobble,
    pressure: 6.3 + wobble,
    flow: 117 + wobble,
    current: 56 + wobble,
    rpm: 2957 + wobble,
  };
}

function run(rates: Partial<ChaosRates>, samples: number, seed = 1) {
  const chaos = new PumpChaos(new Rng(seed), { ...NONE, ...rates });
  return Array.from({ length: samples }, (_, i) => {
    const clean = steady(i);
    const reading = { ...clean };
    return { clean, reading, outcome: chaos.apply(reading) };
  });
}

describe('chaos engine', () => {
  it('leaves every sample alone when all rates are zero', () => {
    for (const { clean, reading, outcome } of run({}, 2000)) {
      expect(reading).toEqual(clean);
      expect(outcome.active).toEqual([]);
    }
  });

  it('spikes vibration_x for 1 to 3 samples, and the overall RMS with it', () => {
    const samples = run({ glitch: 0.02 }, 3000);
    const glitched = samples.filter((s) => s.outcome.active.includes('vibration_glitch'));
    expect(glitched.length).toBeGreaterThan(20);
    for (const { clean, reading } of glitched) {
      expect(reading.vibration_x - clean.vibration_x).toBeGreaterThanOrEqual(15);
      expect(reading.vibration_y).toBe(clean.vibration_y);
      expect(reading.vibration_rms).toBeCloseTo(
        overallVibration(reading.vibration_x, reading.vibration_y, reading.vibration_z),
        9,
      );
    }
    // Back-to-back glitches can touch; each has its own amplitude, so split runs by amplitude.
    const added = samples.map((s) => s.reading.vibration_x - s.clean.vibration_x);
    const runs: number[] = [];
    added.forEach((a, i) => {
      if (a === 0) return;
      if (i > 0 && Math.abs(a - (added[i - 1] as number)) < 1e-9)
        runs[runs.length - 1] = (runs.at(-1) as number) + 1;
      else runs.push(1);
    });
    expect(Math.max(...runs)).toBeLessThanOrEqual(3);
    expect(Math.min(...runs)).toBeGreaterThanOrEqual(1);
  });

  it('ramps a heatwave in, holds +15 °C, and ramps it out: a sustained offset, not a single sample', () => {
    const samples = run({ heatwave: 0.01 }, 4000, 3);
    const first = samples.findIndex((s) => s.outcome.active.includes('heatwave'));
    const offsets = samples
      .slice(first, first + 2 * HEATWAVE.rampSamples + HEATWAVE.holdSamples)
      .map((s) => s.reading.temperature - s.clean.temperature);
    expect(offsets[0]).toBeCloseTo(HEATWAVE.offsetC / HEATWAVE.rampSamples, 9);
    expect(
      offsets.slice(0, HEATWAVE.rampSamples).every((o, i, a) => i === 0 || o > (a[i - 1] as number)),
    ).toBe(true);
    expect(
      offsets
        .slice(HEATWAVE.rampSamples, HEATWAVE.rampSamples + HEATWAVE.holdSamples)
        .every((o) => Math.abs(o - 15) < 1e-9),
    ).toBe(true);
    const rampOut = offsets.slice(HEATWAVE.rampSamples + HEATWAVE.holdSamples);
    expect(rampOut.every((o, i, a) => o > 0 && (i === 0 || o < (a[i - 1] as number)))).toBe(true);
    expect(
      runLengths(
        samples.map((s) => s.outcome.active),
        'heatwave',
      )[0],
    ).toBe(2 * HEATWAVE.rampSamples + HEATWAVE.holdSamples);
  });

  it('freezes one sensor at its last reported value while the others keep reading', () => {
    const samples = run({ freeze: 0.005 }, 6000, 5);
    const marks = samples.map((s) => s.outcome.active.includes('sensor_freeze'));
    const starts = marks.flatMap((m, i) => (m && !marks[i - 1] ? [i] : []));
    expect(starts.length).toBeGreaterThan(5);
    for (const start of starts) {
      const before = samples[start - 1]?.reading as ChannelReadings;
      const during = samples.slice(start, start + 10).filter((_, k) => marks[start + k]);
      const channels = Object.keys(before) as (keyof ChannelReadings)[];
      const stuck = channels.filter((c) => during.every((s) => s.reading[c] === before[c]));
      expect([
        ['vibration_x', 'vibration_y', 'vibration_z', 'vibration_rms'],
        ['temperature'],
        ['pressure'],
        ['flow'],
        ['current'],
        ['rpm'],
      ]).toContainEqual(stuck);
    }
  });

  it('drops whole samples during a dropout', () => {
    const samples = run({ dropout: 0.01 }, 3000, 7);
    const dropped = samples.filter((s) => s.outcome.drop);
    expect(dropped.length).toBeGreaterThan(20);
    expect(dropped.every((s) => s.outcome.active.includes('dropout'))).toBe(true);
  });

  it('produces malformed payloads that no schema accepts', () => {
    const rng = new Rng(9);
    const valid = JSON.stringify({ pump_id: 'p1', ts: 1_767_225_600_000, seq: 1, ...steady(0) });
    expect(telemetrySchema.safeParse(JSON.parse(valid)).success).toBe(true);
    for (let i = 0; i < 200; i++) {
      const bad = malformedPayload(rng, valid);
      let parsed: unknown;
      try {
        parsed = JSON.parse(bad);
      } catch {
        continue;
      }
      expect(telemetrySchema.safeParse(parsed).success).toBe(false);
    }
  });

  it('produces malformed gateway rows that are still JSON but that no row schema accepts', () => {
    const rng = new Rng(9);
    const valid = JSON.stringify(['p1', 1, ...CHANNELS.map((c) => steady(0)[c])]);
    expect(gatewayRowSchema.safeParse(JSON.parse(valid)).success).toBe(true);
    for (let i = 0; i < 200; i++) {
      const bad = malformedRow(rng, valid);
      expect(gatewayRowSchema.safeParse(JSON.parse(bad)).success, bad).toBe(false);
    }
  });
});

/** Lengths of the runs of consecutive samples marked with `kind`. */
function runLengths(marks: ChaosKind[][], kind: ChaosKind): number[] {
  const lengths: number[] = [];
  let current = 0;
  for (const m of marks) {
    if (m.includes(kind)) current += 1;
    else if (current > 0) {
      lengths.push(current);
      current = 0;
    }
  }
  if (current > 0) lengths.push(current);
  return lengths;
}
