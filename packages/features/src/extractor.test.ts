import type { Telemetry } from '@pdm/contract';
import { describe, expect, it } from 'vitest';
import {
  FeatureExtractor,
  type PushVerdict,
  RESTART_AFTER,
  RESTART_AFTER_REWIND,
  yieldsFeatures,
} from './extractor.ts';
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
  if (!yieldsFeatures(extractor.push(s, out))) return undefined;
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
    // 1 °C per one-second sample
    expect(f?.temperature_slope_per_min).toBe(60);
    expect(f?.axial_ratio_median).toBe(0.5);
    expect(f?.head_per_speed2).toBe(6);
  });

  it('reads the same temperature trend as the same slope per minute whether samples come every 1 s or 10 s', () => {
    // A bearing warming at 0.6 °C per minute, sampled at two intervals, with a little sensor noise.
    const slopeAt = (intervalS: number) => {
      const extractor = new FeatureExtractor();
      let f: Record<string, number> | undefined;
      for (let i = 0; i < 3 * WINDOW; i++) {
        const minutes = (i * intervalS) / 60;
        const noise = 0.01 * Math.sin(i * 2.1);
        f = features(extractor, {
          ...sample('p1', i),
          ts: 1_767_225_600_000 + i * intervalS * 1000,
          temperature: 50 + 0.6 * minutes + noise,
        });
      }
      return f?.temperature_slope_per_min as number;
    };
    expect(slopeAt(1)).toBeCloseTo(0.6, 0);
    expect(slopeAt(10)).toBeCloseTo(0.6, 2);
    // Per sample, the same trend would read 0.01 °C at 1 s and 0.1 °C at 10 s: a model trained on one
    // clock would misread the other.
    const noiseless = (intervalS: number) => {
      const extractor = new FeatureExtractor();
      let f: Record<string, number> | undefined;
      for (let i = 0; i < WINDOW; i++) {
        const ts = 1_767_225_600_000 + i * intervalS * 1000;
        f = features(extractor, { ...sample('p1', i), ts, temperature: 50 + (0.6 * i * intervalS) / 60 });
      }
      return f?.temperature_slope_per_min;
    };
    expect(noiseless(1)).toBe(0.6);
    expect(noiseless(10)).toBe(0.6);
    expect(noiseless(600)).toBe(0.6);
  });

  it('measures the slope against device time, so samples lost in a dropout do not steepen it', () => {
    const extractor = new FeatureExtractor();
    let f: Record<string, number> | undefined;
    // One sample a second at 2 °C per minute, with seconds 3 to 7 lost.
    for (const second of [0, 1, 2, 8, 9, 10, 11, 12, 13, 14]) {
      f = features(extractor, {
        ...sample('p1', second),
        temperature: 40 + (2 * second) / 60,
      });
    }
    expect(f?.temperature_slope_per_min).toBe(2);
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

  it('starts a new window when the pump’s time runs backwards RESTART_AFTER samples in a row', () => {
    // One sample stamped in 2199 (within the contract's range), then the pump's real time goes on.
    const extractor = new FeatureExtractor();
    const out = new Float64Array(FEATURE_COUNT);
    const push = (s: Telemetry): PushVerdict => extractor.push(s, out);
    for (let i = 0; i < 4; i++) expect(push(sample('p1', i))).toBe('ok');
    expect(push({ ...sample('p1', 4, 12), ts: Date.UTC(2199, 0, 1) })).toBe('ok');
    const later = Array.from({ length: RESTART_AFTER + 2 }, (_, k) => push(sample('p1', 5 + k)));
    expect(later).toEqual([
      ...Array<PushVerdict>(RESTART_AFTER - 1).fill('out_of_order'),
      'restarted',
      'ok',
      'ok',
    ]);
    // The new window starts at the restart: neither the old samples nor the stray one are in it.
    const next = features(extractor, sample('p1', 5 + RESTART_AFTER + 2));
    expect(next?.vibration_rms_max).toBe(1.5);
    expect(next?.temperature_mean).toBe(50 + 5 + RESTART_AFTER + 0.5);
  });

  it('counts a redelivered sample still in the window as a duplicate, and never restarts on it', () => {
    const extractor = new FeatureExtractor();
    const out = new Float64Array(FEATURE_COUNT);
    for (let i = 0; i < 6; i++) extractor.push(sample('p1', i), out);
    const again = [3, 4, 5, 3, 4, 5].map((i) => extractor.push(sample('p1', i), out));
    expect(again).toEqual(Array(6).fill('duplicate'));
    expect(extractor.push(sample('p1', 6), out)).toBe('ok');
  });

  it('keeps the window through older samples that newer ones interrupt', () => {
    const extractor = new FeatureExtractor();
    const out = new Float64Array(FEATURE_COUNT);
    for (let i = 0; i < 6; i++) extractor.push(sample('p1', i), out);
    const verdicts: PushVerdict[] = [];
    for (let i = 6; i < 6 + 2 * RESTART_AFTER; i++) {
      verdicts.push(extractor.push({ ...sample('p1', i), ts: sample('p1', -i).ts }, out));
      verdicts.push(extractor.push(sample('p1', i), out));
    }
    expect(verdicts).not.toContain('restarted');
    expect(verdicts.filter((v) => v === 'out_of_order')).toHaveLength(2 * RESTART_AFTER);
    expect(extractor.newestTs('p1')).toBe(sample('p1', 5 + 2 * RESTART_AFTER).ts);
  });

  it('counts a replay of older samples as duplicates, and starts over only when the replay never ends', () => {
    const extractor = new FeatureExtractor();
    const out = new Float64Array(FEATURE_COUNT);
    const at = (seq: number, hoursBack = 0) => ({
      ...sample('p1', seq),
      ts: sample('p1', seq).ts - hoursBack * 3_600_000,
    });
    for (let i = 0; i < 1000; i++) extractor.push(at(i), out);
    // A resend of samples long gone from the window: their prediction was made.
    const resent = Array.from({ length: 20 }, (_, i) => extractor.push(at(900 + i), out));
    expect(resent).toEqual(Array(20).fill('duplicate'));
    expect(extractor.push(at(1000), out)).toBe('ok');
    // The source starts over an hour back, numbering from 0 again: a new stream, not a resend.
    const again = Array.from({ length: RESTART_AFTER_REWIND }, (_, i) => extractor.push(at(i, 1), out));
    expect(again.slice(0, -1)).toEqual(Array(RESTART_AFTER_REWIND - 1).fill('duplicate'));
    expect(again.at(-1)).toBe('restarted');
    expect(extractor.push(at(RESTART_AFTER_REWIND, 1), out)).toBe('ok');
  });

  it('gives finite features from the first sample on, and rounds them to the shared precision', () => {
    const extractor = new FeatureExtractor();
    const first = features(extractor, { ...sample('p1', 0), vibration_rms: 1.234567 });
    expect(Object.values(first ?? {}).every(Number.isFinite)).toBe(true);
    expect(first?.vibration_rms).toBe(1.2346);
    expect(first?.temperature_slope_per_min).toBe(0);
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
