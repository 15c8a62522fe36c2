import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelReport, reportPathFor } from './model.ts';

const SHIPPED_REPORT = resolve(import.meta.dirname, '../../../models/pump-state.report.json');

describe('ModelReport', () => {
  const dirs: string[] = [];
  const reports: ModelReport[] = [];
  afterEach(() => {
    for (const r of reports.splice(0)) r.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function modelIn(): { model: string; report: string } {
    const dir = mkdtempSync(join(tmpdir(), 'pdm-dashboard-model-'));
    dirs.push(dir);
    const model = join(dir, 'pump-state.onnx');
    return { model, report: reportPathFor(model) };
  }

  function watch(model: string, log = pino({ level: 'silent' })): ModelReport {
    const report = new ModelReport(model, log, { pollMs: 60_000 });
    reports.push(report);
    return report;
  }

  it('names the report as the trainer does', () => {
    expect(reportPathFor('models/pump-state.onnx')).toBe('models/pump-state.report.json');
  });

  it('serves the shipped model’s report, with the version inference puts in its predictions', () => {
    const { model, report } = modelIn();
    writeFileSync(report, readFileSync(SHIPPED_REPORT));
    const shipped = JSON.parse(readFileSync(SHIPPED_REPORT, 'utf8'));
    const serving = watch(model).serving;
    expect(serving?.version).toBe(`${shipped.createdAt}#${shipped.model.sha256.slice(0, 8)}`);
    expect(serving?.heldOut.confusionMatrix.counts).toHaveLength(4);
    expect(serving?.featureImportances[0]?.feature).toBe(shipped.featureImportances[0].feature);
  });

  it('serves nothing while the report is missing or not a report, says why once, and reads it once fixed', () => {
    const { model, report } = modelIn();
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const watcher = watch(model, log);
    expect(watcher.serving).toBeNull();
    watcher.check();
    expect(lines.filter((l) => l.includes('no report file'))).toHaveLength(1);

    writeFileSync(report, '{"createdAt": 1}');
    watcher.check();
    expect(watcher.serving).toBeNull();
    expect(lines.some((l) => l.includes('not a training report'))).toBe(true);

    writeFileSync(report, readFileSync(SHIPPED_REPORT));
    watcher.check();
    expect(watcher.serving?.classes).toHaveLength(4);
  });
});
