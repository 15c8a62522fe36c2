import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SampleStore } from '@pdm/store';
import { startService } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';

const SMALL = ['--pumps', '12', '--fleet', '20'];

describe('pnpm demo, with nothing but Node.js (embedded broker, SQLite)', () => {
  it('runs the whole pipeline within its duration and leaves a model, a store and prediction logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-demo-'));
    const demo = startService('demo', ['--duration', '35', '--dir', dir, ...SMALL]);
    expect(await demo.exited).toBe(0);
    const out = demo.stdout();
    expect(out).toContain('1 of 3: simulating whole pump lifecycles into acquisition');
    expect(out).toContain('2 of 3: exporting a balanced training set and training the model');
    expect(out).toContain('3 of 3: live predictions');
    expect(out).toContain('Demo complete.');
    expect(out).toMatch(/live accuracy\s+0\.\d{3}/);
    // The notifier ran beside inference, with its console receiver.
    expect(out).toMatch(/notifications\s+\d+ \(grouped/);
    expect(existsSync(join(dir, 'models/pump-state.onnx'))).toBe(true);
    const store = SampleStore.open(join(dir, 'pdm.sqlite'), { readonly: true });
    expect(store.count()).toBeGreaterThan(1000);
    // the live fleet's telemetry and predictions are stored beside the training samples
    expect(store.count() - store.count({ labelledOnly: true })).toBeGreaterThan(0);
    expect(store.countPredictions()).toBeGreaterThan(0);
    store.close();
    const logs = readdirSync(join(dir, 'predictions'));
    expect(logs.some((f) => f.endsWith('.jsonl'))).toBe(true);
    expect(logs.some((f) => f.endsWith('.csv'))).toBe(true);
  });

  it('stops cleanly on Ctrl-C at any moment, and runs again in the same folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-demo-'));
    const first = startService('demo', ['--duration', '120', '--dir', dir, ...SMALL]);
    await first.waitForLine(/1 of 3/, 60_000);
    first.signal('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.stdout()).toContain('Demo stopped early.');
    const second = startService('demo', ['--duration', '120', '--dir', dir, ...SMALL]);
    await second.waitForLine(/3 of 3/, 90_000);
    second.signal('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.stdout()).toMatch(/live predictions\s+[\d,]+/);
    expect(existsSync(join(dir, 'models/pump-state.onnx'))).toBe(true);
  });
});
