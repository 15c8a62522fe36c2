/**
 * What each image holds, without a Docker engine: every service is deployed here exactly as the Dockerfile's
 * build stage deploys it, and then started from the deployed folder alone as the image's ENTRYPOINT starts it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@pdm/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
/** The Dockerfile's own deploy flags, so that this test and the image cannot drift apart. */
const deployFlags = /pnpm --filter "@pdm\/\$\{service\}" deploy (.+?) "\/out\/\$\{service\}"/
  .exec(dockerfile)?.[1]
  ?.split(' ');
/** The Dockerfile's ENTRYPOINT, e.g. ["node", "--import", "tsx", "src/main.ts"]. */
const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];

/** The images docker-compose.yml builds from the Dockerfile, by their SERVICE argument. */
const SERVICES = [
  ...readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8').matchAll(/args: \{ SERVICE: ([\w-]+) \}/g),
].map((m) => m[1] as string);
/** Folders under services/ that the Dockerfile's loop leaves out (`[ "$service" != demo ] || continue`). */
const NOT_DEPLOYED = [...dockerfile.matchAll(/\[ "\$service" != ([\w-]+) \] \|\| continue/g)].map(
  (m) => m[1],
);

const hasPnpm = spawnSync('pnpm', ['--version'], { stdio: 'ignore' }).status === 0;

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the Dockerfile', () => {
  it('deploys every service that docker-compose.yml builds, and leaves the others out', () => {
    const folders = readdirSync(join(REPO_ROOT, 'services'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(REPO_ROOT, 'services', d.name, 'package.json')))
      .map((d) => d.name);
    expect(SERVICES.length).toBeGreaterThan(0);
    expect(new Set([...SERVICES, ...NOT_DEPLOYED])).toEqual(new Set(folders));
    for (const service of NOT_DEPLOYED) expect(SERVICES).not.toContain(service);
  });
});

describe.skipIf(!hasPnpm)(`each service image${hasPnpm ? '' : ' (skipped: pnpm is not installed)'}`, () => {
  let out: string;
  const deployed = new Map<string, { code: number | null; stderr: string }>();

  beforeAll(async () => {
    expect(deployFlags, 'the Dockerfile deploys with pnpm --filter ... deploy').toBeDefined();
    out = await mkdtemp(join(tmpdir(), 'pdm-deploy-'));
    const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', CI: 'true' };
    await Promise.all(
      SERVICES.map(async (service) => {
        const result = await run(
          'pnpm',
          ['--filter', `@pdm/${service}`, 'deploy', ...(deployFlags ?? []), join(out, service)],
          REPO_ROOT,
          env,
        );
        deployed.set(service, result);
      }),
    );
  }, 300_000);

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it.each(SERVICES)('deploys %s from the lockfile with its production dependencies only', (service) => {
    const result = deployed.get(service);
    expect(result?.code, result?.stderr).toBe(0);
    const modules = join(out, service, 'node_modules');
    const manifest = JSON.parse(readFileSync(join(out, service, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      expect(existsSync(join(modules, dep)), dep).toBe(true);
    }
    // tsx is what the ENTRYPOINT runs the TypeScript with, so it must be a production dependency.
    expect(manifest.dependencies).toHaveProperty('tsx');
    for (const dep of Object.keys(manifest.devDependencies ?? {})) {
      expect(existsSync(join(modules, dep)), `${dep} is a devDependency`).toBe(false);
    }
    expect(existsSync(join(modules, 'vitest'))).toBe(false);
  });

  it.each(SERVICES)('starts %s from the deployed folder alone, as the ENTRYPOINT does', async (service) => {
    const [cmd, ...args] = entrypoint as [string, ...string[]];
    expect(cmd).toBe('node');
    // No PATH to the repository, no NODE_PATH: only what the image would hold.
    const result = await run(process.execPath, [...args, '--help'], join(out, service), {
      PATH: '/usr/bin:/bin',
      HOME: tmpdir(),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Usage: /);
  });
});
