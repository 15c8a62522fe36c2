import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, MetricsRegistry } from '@pdm/service-kit';
import { describe, expect, it } from 'vitest';
import { ModelHolder } from './model-holder.ts';
import { ModelLifecycle, STATE_MODEL, STOPPED_WAITING } from './model-lifecycle.ts';
import { writeTestModel } from './testing/model-fixture.ts';

function lifecycle(path: string) {
  const registry = new MetricsRegistry();
  const metrics = {
    reloads: registry.counter('reloads', 'reloads', ['result']),
    info: registry.gauge('info', 'info', { labelNames: ['version'] }),
  };
  const holder = new ModelHolder();
  const logger = createLogger({ name: 'test', level: 'silent' });
  return { holder, registry, models: new ModelLifecycle(path, holder, metrics, logger, STATE_MODEL) };
}

describe('model lifecycle', () => {
  it('says why no model serves, and stops waiting for one when stopped', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pdm-lifecycle-')), 'pump-state.onnx');
    const { models } = lifecycle(path);
    const abort = new AbortController();
    const started = models.start(abort.signal);
    await expect.poll(() => models.health).toBe(`none: no model at ${path}`);
    abort.abort();
    await expect(started).rejects.toThrow(STOPPED_WAITING);
    models.close();
  });

  it('serves a model that appears while it waits, and reports its version', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'pdm-lifecycle-')), 'pump-state.onnx');
    const { holder, registry, models } = lifecycle(path);
    const started = models.start(new AbortController().signal);
    await expect.poll(() => models.health).toMatch(/^none: /);
    await writeTestModel(path, { seed: 1 });
    await started;
    const version = holder.model?.version as string;
    expect(models.health).toBe(version);
    const text = await registry.metrics();
    expect(text).toContain(`info{version="${version}"} 1`);
    expect(text).toContain('reloads{result="loaded"} 1');
    models.close();
    await holder.close();
  });
});
