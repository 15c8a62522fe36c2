/**
 * Bundles the page (web/main.ts and its CSS, uPlot included) into dist/web with esbuild, at build time:
 * the service serves these files itself, so a plant network needs no CDN. `pnpm --filter @pdm/dashboard
 * build`, the Docker image and the dashboard's start (when the bundle is missing or older than web/) run it.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const WEB_SOURCE_DIR = dirname(fileURLToPath(import.meta.url));
export const WEB_OUT_DIR = resolve(WEB_SOURCE_DIR, '../dist/web');

export async function buildWeb(outDir: string = WEB_OUT_DIR): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(WEB_SOURCE_DIR, 'main.ts') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    outdir: outDir,
    logLevel: 'warning',
  });
  await copyFile(join(WEB_SOURCE_DIR, 'index.html'), join(outDir, 'index.html'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWeb(process.argv[2] ?? WEB_OUT_DIR);
}
