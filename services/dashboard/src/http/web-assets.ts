/**
 * The page's files (dist/web, bundled by web/build.ts), held in memory and served with their content
 * type and an ETag. A dev checkout builds the bundle on start when it is missing or older than web/; the
 * Docker image builds it at image build time, where esbuild (a dev dependency) is not shipped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@pdm/service-kit';

const HERE = dirname(fileURLToPath(import.meta.url));
export const WEB_SOURCE_DIR = resolve(HERE, '../../web');
export const WEB_OUT_DIR = resolve(HERE, '../../dist/web');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface WebAsset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
  readonly cacheControl: string;
}

/** A name with a content hash in it (`app-3FJ2K7QX.js`) never changes content: cache it for a year. */
const HASHED = /[.-][A-Za-z0-9]{8,}\.[a-z0-9]+$/;

/** The files under `dir` by URL path (`/app.js`); index.html also at `/`. Empty when there is no `dir`. */
export function loadWebAssets(dir: string): Map<string, WebAsset> {
  const assets = new Map<string, WebAsset>();
  if (!existsSync(dir)) return assets;
  for (const file of filesUnder(dir)) {
    const body = readFileSync(file);
    const path = `/${relative(dir, file).split(sep).join('/')}`;
    const asset: WebAsset = {
      body,
      contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      cacheControl:
        HASHED.test(path) && path !== '/index.html' ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    assets.set(path, asset);
    if (path === '/index.html') assets.set('/', asset);
  }
  return assets;
}

/** Builds the bundle when it is missing or older than its sources; a failure is logged, not fatal. */
export async function ensureWebBuilt(sourceDir: string, outDir: string, log: Logger): Promise<void> {
  if (!existsSync(sourceDir)) return;
  const built = existsSync(join(outDir, 'index.html')) ? oldestMtime(outDir) : 0;
  if (built > newestMtime(sourceDir)) return;
  const started = performance.now();
  try {
    // Imported only now: esbuild is a dev dependency, absent from the image.
    const { buildWeb } = await import('../../web/build.ts');
    await buildWeb(outDir);
    log.info({ outDir, ms: Math.round(performance.now() - started) }, 'page built');
  } catch (err) {
    log.error({ err, outDir }, 'cannot build the page; serving what dist/web holds');
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

function newestMtime(dir: string): number {
  return Math.max(0, ...filesUnder(dir).map((f) => statSync(f).mtimeMs));
}

function oldestMtime(dir: string): number {
  return Math.min(...filesUnder(dir).map((f) => statSync(f).mtimeMs));
}
