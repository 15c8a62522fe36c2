import type { Telemetry } from '@pdm/telemetry';
import { describe, expect, it } from 'vitest';
import { FeatureExtractor } from './extractor.ts';
import { FEATURE_COUNT, FEATURE_NAMES, WINDOW } from './features.ts';

function sample(pump: string, i: number, vibration = 1.5): Telemetry {
  return {
    pump_id: pump,
    ts: 1_767_225_600_000 + i * 1000,
    seq: i,
    vibration_x: vibration * 1.2,
    vibration_y: vibration,
    vibration_z: vibration * 0.6,
    vibration_rms: vibration,
    temperature: 50 + i,
    pressure: 6,
    flow: 120,
    current: 50,
    rpm: 3000,
  };
}

function features(extractor: FeatureExtractor, s: Telemetry): Record<string, number> | undefined {
  const out = new Float64Array(FEATURE_COUNT);
  if (!extractor.push(s, out)) return undefined;
  return Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, out[i] as number]));
}

describe('feature extractor', () => {
  it('computes rolling statistics over the pump’s last samples', () => {
    const extractor = new FeatureExtractor();
    let f: Record<string, number> | undefined;
    for (let i = 0; i < 15; i++) f = features(extractor, sample('p1', i, i < 14 ? 2 : 12));
    expect(f?.vibration_rms).toBe(12);
    expect(f?.vibration_rms_max).toBe(12);
    expect(f?.vibration_rms_median).toBe(2);
    expect(f?.vibration_rms_mean).toBe(3);
    expect(f?.temperature_mean).toBe(50 + 9.5);
    expect(f?.temperature_slope).toBe(1);
    expect(f?.axial_ratio_median).toBe(0.5);
    expect(f?.head_per_speed2).toBe(6);
  });

  it('shrugs off a single glitch in its median, while the raw value shows it', () => {
    const extractor = new FeatureExtractor();
    for (let i = 0; i < WINDOW; i++) features(extractor, sample('p1', i));
    const glitch = features(extractor, { ...sample('p1', WINDOW), vibration_rms: 30 });
    expect(glitch?.vibration_rms).toBe(30);
    expect(glitch?.vibration_rms_median).toBe(1.5);
  });

  it('keeps each pump’s window apart', () => {
    const extractor = new FeatureExtractor();
    for (let i = 0; i < 5; i++) {
      features(extractor, sample('a', i, 1));
      features(extractor, sample('b', i, 9));
    }
    expect(features(extractor, sample('a', 5, 1))?.vibration_rms_max).toBe(1);
    expect(extractor.pumps).toBe(2);
  });

  it('skips a redelivered or reordered sample instead of counting it twice', () => {
    const extractor = new FeatureExtractor();
    expect(features(extractor, sample('p1', 0))).toBeDefined();
    expect(features(extractor, sample('p1', 1))).toBeDefined();
    expect(features(extractor, sample('p1', 1))).toBeUndefined();
    expect(features(extractor, sample('p1', 0))).toBeUndefined();
  });

  it('gives finite features from the first sample on, and rounds them to the shared precision', () => {
    const extractor = new FeatureExtractor();
    const first = features(extractor, { ...sample('p1', 0), vibration_rms: 1.234567 });
    expect(Object.values(first ?? {}).every(Number.isFinite)).toBe(true);
    expect(first?.vibration_rms).toBe(1.2346);
    expect(first?.temperature_slope).toBe(0);
  });

  it('writes into a shared batch buffer at an offset', () => {
    const extractor = new FeatureExtractor();
    const batch = new Float32Array(FEATURE_COUNT * 2);
    extractor.push(sample('a', 0), batch, 0);
    extractor.push(sample('b', 0, 4), batch, FEATURE_COUNT);
    expect(batch[FEATURE_NAMES.indexOf('vibration_rms')]).toBeCloseTo(1.5, 6);
    expect(batch[FEATURE_COUNT + FEATURE_NAMES.indexOf('vibration_rms')]).toBeCloseTo(4, 6);
  });
});
