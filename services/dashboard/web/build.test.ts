import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb, type WebBundle } from './build.ts';

let out: string;
let bundle: WebBundle;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'pdm-web-'));
  bundle = await buildWeb(out);
}, 60_000);
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('the page bundle', () => {
  it('leaves zod out: the page imports the contract only through its zod-free modules', () => {
    expect(bundle.inputs.filter((i) => i.includes('/zod/'))).toEqual([]);
    expect(bundle.inputs.some((i) => i.includes('uPlot.esm.js'))).toBe(true);
  });

  it("carries uPlot's CSS in app.css, so that nothing is fetched from elsewhere", async () => {
    const css = await readFile(join(out, 'app.css'), 'utf8');
    expect(css).toContain('.uplot');
    expect(css).not.toMatch(/@import|url\(\s*["']?https?:/);
  });

  it('has no inline script or style in index.html, which the Content-Security-Policy would block', async () => {
    const html = await readFile(join(out, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
  });

  it('builds the SSE worker beside the page, and reports the size of each file gzipped', () => {
    expect(bundle.files.map((f) => f.name)).toContain('live-worker.js');
    const js = bundle.files.find((f) => f.name === 'app.js');
    expect(js?.gzipBytes).toBeGreaterThan(0);
    expect(js?.gzipBytes).toBeLessThan(js?.bytes ?? 0);
  });
});
