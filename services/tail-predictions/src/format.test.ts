import { describe, expect, it } from 'vitest';
import { clockTime, Formatter, rul, shortVersion, topProbability } from './format.ts';
import { alert, prediction } from './testing/fixtures.ts';

const ESC = '\x1b[';
const plain = () => new Formatter({ color: false });
const coloured = () => new Formatter({ color: true });

describe('formatting a prediction', () => {
  it('shows time, pump, state, top probability, vibration with its zone, latency and model hash', () => {
    expect(plain().prediction(prediction())).toBe(
      '10:20:30.123  pump-00042  HEALTHY               p=0.91     1.84 mm/s A     3.3 ms  1a2b3c4d',
    );
  });

  it('ends with the remaining useful life while a RUL model serves, and only then', () => {
    expect(plain().prediction(prediction({ rul_h: 12.345, rul_model_version: 'x' }))).toBe(
      '10:20:30.123  pump-00042  HEALTHY               p=0.91     1.84 mm/s A     3.3 ms  1a2b3c4d  RUL   12.3 h',
    );
    expect(plain().prediction(prediction())).not.toContain('RUL');
  });

  it('adds the raw state only when it differs from the smoothed one', () => {
    const line = plain().prediction(prediction({ state: 'WARNING', raw_state: 'FAULTY' }));
    expect(line).toContain('WARNING  raw FAULTY ');
    expect(plain().prediction(prediction({ state: 'FAULTY', raw_state: 'FAULTY' }))).not.toContain('raw');
  });

  it('keeps the columns aligned whatever the states', () => {
    const f = plain();
    const lines = [
      f.prediction(prediction()),
      f.prediction(prediction({ state: 'BROKEN', raw_state: 'WARNING', vibration_rms: 12.5, iso_zone: 'D' })),
      f.prediction(prediction({ state: 'FAULTY', raw_state: 'HEALTHY', latency_ms: 120.5 })),
    ];
    const column = (l: string) => l.indexOf('p=');
    expect(new Set(lines.map(column)).size).toBe(1);
    expect(new Set(lines.map((l) => l.indexOf('mm/s'))).size).toBe(1);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('widens the pump column for longer ids, and keeps it wide', () => {
    const f = plain();
    f.prediction(prediction({ pump_id: 'station-7-pump-00042' }));
    const after = f.prediction(prediction({ pump_id: 'p1' }));
    expect(after).toContain(`  ${'p1'.padEnd('station-7-pump-00042'.length)}  HEALTHY`);
  });

  it('writes no escape codes without colour', () => {
    expect(plain().prediction(prediction({ state: 'BROKEN', raw_state: 'FAULTY' }))).not.toContain(ESC);
  });

  it('colours HEALTHY green, WARNING yellow, FAULTY red and BROKEN bold inverse red', () => {
    const f = coloured();
    expect(f.prediction(prediction({ state: 'HEALTHY' }))).toContain(`${ESC}32mHEALTHY${ESC}0m`);
    expect(f.prediction(prediction({ state: 'WARNING' }))).toContain(`${ESC}33mWARNING${ESC}0m`);
    expect(f.prediction(prediction({ state: 'FAULTY' }))).toContain(`${ESC}31mFAULTY${ESC}0m`);
    expect(f.prediction(prediction({ state: 'BROKEN' }))).toContain(`${ESC}1;7;31mBROKEN${ESC}0m`);
  });

  it('aligns coloured lines like plain ones once the escape codes are taken out', () => {
    const p = prediction({ state: 'BROKEN', raw_state: 'WARNING', iso_zone: 'D', vibration_rms: 9 });
    const stripped = coloured()
      .prediction(p)
      .replace(new RegExp(`${ESC.replace('[', '\\[')}[0-9;]*m`, 'g'), '');
    expect(stripped).toBe(plain().prediction(p));
  });
});

describe('formatting an alert', () => {
  it('names the kind and the change of state, with the evidence', () => {
    expect(plain().alert(alert())).toBe(
      '10:20:31.000  pump-00042  ALARM      WARNING → FAULTY   p=0.82     7.30 mm/s D    71.2 °C  1a2b3c4d',
    );
    expect(plain().alert(alert({ kind: 'recovered', state: 'HEALTHY', previous_state: 'FAULTY' }))).toContain(
      'RECOVERED  FAULTY → HEALTHY',
    );
  });

  it('names a low RUL, with the RUL it was raised at', () => {
    const line = plain().alert(
      alert({
        kind: 'rul_low',
        state: 'FAULTY',
        previous_state: 'FAULTY',
        evidence: { ...alert().evidence, rul_h: 0.008 },
      }),
    );
    expect(line).toMatch(/^10:20:31\.000 {2}pump-00042 {2}RUL LOW {4}FAULTY → FAULTY .*RUL {2}0\.008 h$/);
  });

  it('highlights the label: inverse red for an alarm, inverse green for a recovery', () => {
    expect(coloured().alert(alert())).toContain(`${ESC}1;7;31mALARM${ESC}0m`);
    expect(coloured().alert(alert({ kind: 'recovered', state: 'HEALTHY' }))).toContain(
      `${ESC}1;7;32mRECOVERED${ESC}0m`,
    );
  });
});

describe('the small pieces', () => {
  it('shows a RUL to about three significant figures, from minutes to months', () => {
    expect([0.0417, 0, 3.21, 12.345, 2150.4].map(rul)).toEqual([
      'RUL  0.042 h',
      'RUL  0.000 h',
      'RUL   3.21 h',
      'RUL   12.3 h',
      'RUL   2150 h',
    ]);
  });

  it('shows the time of day in UTC with milliseconds', () => {
    expect(clockTime(Date.parse('2026-03-01T23:59:59.007Z'))).toBe('23:59:59.007');
  });

  it('shortens a model version to its content hash, or cuts an unknown format', () => {
    expect(shortVersion('2026-03-01T08:00:00.000Z#1a2b3c4d')).toBe('1a2b3c4d');
    expect(shortVersion('v3')).toBe('v3');
    expect(shortVersion('a-very-long-version-name')).toBe('a-very-long…');
  });

  it('finds the top probability, or none when the model gave none', () => {
    expect(topProbability({ HEALTHY: 0.2, FAULTY: 0.7, WARNING: 0.1 })).toBe(0.7);
    expect(topProbability({})).toBeUndefined();
    expect(plain().prediction(prediction({ probabilities: {} }))).toContain('p=?   ');
  });
});
