/**
 * Bundles the page (web/main.ts and its CSS, uPlot's included) into dist/web with esbuild, at build time:
 * the service serves these files itself, so a plant network needs no CDN. `pnpm --filter @pdm/dashboard
 * build`, the Docker image and the dashboard's start (when the bundle is missing or older than web/) run it.
 * It reports each file's size gzipped, the figure the README states.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const WEB_SOURCE_DIR = dirname(fileURLToPath(import.meta.url));
export const WEB_OUT_DIR = resolve(WEB_SOURCE_DIR, '../dist/web');

export interface WebBundle {
  /** bytes of each file written, as served and gzipped (level 9) */
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly gzipBytes: number }[];
  /** the source files bundled, relative to the workspace (to check what the page pulls in) */
  readonly inputs: readonly string[];
}

export async function buildWeb(outDir: string = WEB_OUT_DIR): Promise<WebBundle> {
  await mkdir(outDir, { recursive: true });
  const result = await build({
    // The page, and the worker that holds its SSE connection (started by live.ts as live-worker.js).
    entryPoints: {
      app: join(WEB_SOURCE_DIR, 'main.ts'),
      'live-worker': join(WEB_SOURCE_DIR, 'live-worker.ts'),
    },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    outdir: outDir,
    logLevel: 'warning',
    metafile: true,
    legalComments: 'none',
  });
  await copyFile(join(WEB_SOURCE_DIR, 'index.html'), join(outDir, 'index.html'));
  const files = await Promise.all(
    ['app.js', 'live-worker.js', 'app.css', 'index.html'].map(async (name) => {
      const bytes = await readFile(join(outDir, name));
      return { name, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
    }),
  );
  return { files, inputs: Object.keys(result.metafile.inputs) };
}

export function describeBundle(bundle: WebBundle): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const total = bundle.files.reduce((sum, f) => sum + f.gzipBytes, 0);
  const lines = bundle.files.map(
    (f) => `  ${f.name.padEnd(14)} ${kib(f.bytes).padStart(10)}, ${kib(f.gzipBytes)} gzipped`,
  );
  return [`dashboard page built:`, ...lines, `  total gzipped: ${kib(total)}`].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(describeBundle(await buildWeb(process.argv[2] ?? WEB_OUT_DIR)));
}
