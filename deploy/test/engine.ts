/**
 * The container engine of the deployment test: Podman, run as root, behind its Docker-compatible socket,
 * which docker-compose talks to as it would to Docker. Also the part of Docker's engine that Podman leaves
 * to systemd: running the health checks.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.ts';

const CONTAINERS_CONF = '/etc/containers/containers.conf';

const has = (cmd: string, args: readonly string[] = ['--version']) =>
  spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/**
 * Why the deployment test cannot run here, or undefined when it can: Podman, docker-compose and debootstrap
 * installed, root, and a container actually started (a sandbox may refuse containers even to root).
 */
export async function whyNoEngine(): Promise<string | undefined> {
  if (process.platform !== 'linux') return `containers need Linux, this is ${process.platform}`;
  if (!has('podman')) return 'podman is not installed (apt-get install podman; .ci/run does)';
  if (!has('docker-compose', ['version'])) {
    return 'docker-compose is not installed (apt-get install docker-compose; .ci/run does)';
  }
  if (!has('debootstrap', ['--version'])) {
    return 'debootstrap is not installed (apt-get install debootstrap; .ci/run does); it makes the base images';
  }
  if (process.getuid?.() !== 0) return 'this test runs Podman as root, and runs as another user';
  let refusal = await probeContainer();
  if (refusal !== undefined && /rlimit/i.test(refusal)) {
    allowContainersHere();
    refusal = await probeContainer();
  }
  if (refusal !== undefined && /cgroups in hybrid mode/i.test(refusal) && has('runc')) {
    useRuncHere();
    refusal = await probeContainer();
  }
  return refusal === undefined ? undefined : `Podman cannot start a container here: ${refusal}`;
}

/** Starts a container from a file system of /bin/true and its libraries: no image, no registry. */
async function probeContainer(): Promise<string | undefined> {
  const rootfs = await mkdtemp(join(tmpdir(), 'pdm-engine-probe-'));
  try {
    const probe = await run(
      'sh',
      [
        '-c',
        'set -e; mkdir -p "$1/bin" "$1/proc" "$1/dev" "$1/sys" "$1/etc"; cp /bin/true "$1/bin/true"; ' +
          'for lib in $(ldd /bin/true | grep -o "/[^ ]*"); do mkdir -p "$1$(dirname "$lib")"; cp -L "$lib" "$1$lib"; done; ' +
          'podman run --rm --network none --rootfs "$1" /bin/true',
        'sh',
        rootfs,
      ],
      { allowFailure: true, timeoutMs: 120_000 },
    );
    return probe.code === 0 ? undefined : (probe.stderr || probe.stdout).trim().split('\n').pop();
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

/**
 * Podman's default asks the kernel to raise each container's open-file limit, which sandboxes such as this
 * project's machines refuse; `default_ulimits = []` asks for nothing.
 */
export function allowContainersHere(): void {
  setContainersConf('containers', 'default_ulimits', '[]', 'the sandbox refuses raised rlimits');
}

/**
 * crun, Podman's default runtime on Debian 12, refuses a host whose cgroups are mounted in hybrid mode (v1
 * controllers beside a v2 tree), as some of this project's machines are; runc runs containers there.
 */
function useRuncHere(): void {
  setContainersConf('engine', 'runtime', '"runc"', 'crun refuses cgroups in hybrid mode');
}

/** Sets `key = value` in a table of containers.conf, once; nothing else in the file is touched. */
function setContainersConf(table: string, key: string, value: string, why: string): void {
  const text = existsSync(CONTAINERS_CONF) ? readFileSync(CONTAINERS_CONF, 'utf8') : '';
  if (new RegExp(`^\\s*${key}\\s*=`, 'm').test(text)) return;
  const header = new RegExp(`^\\[${table}\\]\\s*$`, 'm');
  const updated = header.test(text)
    ? text.replace(header, `[${table}]\n${key} = ${value}`)
    : `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}[${table}]\n${key} = ${value}\n`;
  writeFileSync(CONTAINERS_CONF, updated);
  console.log(`deploy test: added ${key} = ${value} to ${CONTAINERS_CONF} (${why})`);
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export interface PodmanService {
  /** for DOCKER_HOST */
  readonly url: string;
  stop(): Promise<void>;
}

/** `podman system service` on a socket of this test's own, so that nothing else shares it. */
export async function startPodmanService(dir: string, logFile: string): Promise<PodmanService> {
  const socket = join(dir, 'podman.sock');
  const url = `unix://${socket}`;
  const child: ChildProcess = spawn('podman', ['system', 'service', '--time=0', url], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!(await ping(socket))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`podman system service did not come up: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      writeFileSync(logFile, `\n--- podman system service ---\n${stderr}`, { flag: 'a' });
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface Inspected {
  readonly Id: string;
  readonly Name: string;
  /** the image's id */
  readonly Image: string;
  readonly State: {
    readonly Running: boolean;
    readonly StartedAt: string;
    readonly FinishedAt: string;
    readonly ExitCode: number;
    readonly Health?: { Status: string };
  };
  readonly Config: {
    readonly Labels?: Record<string, string>;
    readonly Healthcheck?: { readonly Test?: string[]; readonly Interval?: number };
  };
}

/** `podman inspect` of some containers (absent ones left out). */
export async function inspect(ids: readonly string[]): Promise<Inspected[]> {
  if (ids.length === 0) return [];
  const result = await run('podman', ['container', 'inspect', ...ids], { allowFailure: true });
  try {
    return JSON.parse(result.stdout) as Inspected[];
  } catch {
    return [];
  }
}

/** Ids of the project's containers, running or not. */
export async function projectContainers(project: string, all = true): Promise<string[]> {
  const result = await run('podman', [
    'ps',
    ...(all ? ['-a'] : []),
    '-q',
    '--no-trunc',
    '--filter',
    `label=com.docker.compose.project=${project}`,
  ]);
  return result.stdout.split('\n').filter((id) => id !== '');
}

/** The health status of a container as Docker reports it: starting, healthy, unhealthy, or none. */
export function healthOf(container: Inspected): string {
  return container.State.Health?.Status ?? 'none';
}

export interface HealthChecks {
  stop(): Promise<void>;
}

/**
 * Runs the project's health checks as Docker's engine would, each `interval` after the container started
 * and then every `interval`. Podman leaves the schedule to systemd timers, and there is no systemd here:
 * without this, every health check would stay "starting" and `depends_on: service_healthy` would wait forever.
 */
export function runHealthChecks(project: string, logFile: string): HealthChecks {
  const next = new Map<string, number>();
  const running = new Set<string>();
  let stopped = false;
  const tick = async () => {
    const containers = await inspect(await projectContainers(project, false));
    for (const c of containers) {
      const interval = (c.Config.Healthcheck?.Interval ?? 0) / 1e6 || 30_000;
      const test = c.Config.Healthcheck?.Test ?? [];
      if (test.length === 0 || test[0] === 'NONE' || !c.State.Running) continue;
      const key = `${c.Id}@${c.State.StartedAt}`;
      if (!next.has(key)) next.set(key, Date.parse(c.State.StartedAt) + interval);
      if (Date.now() < (next.get(key) ?? 0) || running.has(c.Id)) continue;
      running.add(c.Id);
      run('podman', ['healthcheck', 'run', c.Id], { allowFailure: true, logFile, timeoutMs: 60_000 })
        .catch(() => undefined)
        .finally(() => {
          running.delete(c.Id);
          next.set(key, Date.now() + interval);
        });
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await tick().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Podman keeps every layer a build made, as untagged images, for its cache. Those of earlier runs that this
 * run's build did not use (the sources changed since) are removed: only images built on the stand-ins (they
 * carry the `pdm.stand-in` label of their base), untagged, older than this run, and not in this run's build
 * output. What the build used stays, so the next run on this machine starts from it.
 */
export async function pruneStaleBuildCache(
  buildOutput: string,
  runStart: number,
  logFile: string,
): Promise<number> {
  const used = [...buildOutput.matchAll(/^--> (?:Using cache )?([0-9a-f]{11,64})\s*$/gm)].map(
    (m) => m[1] as string,
  );
  if (used.length === 0) return 0;
  const listed = await run('podman', ['images', '-a', '--format', 'json', '--filter', 'label=pdm.stand-in'], {
    logFile,
  });
  const images = JSON.parse(listed.stdout || '[]') as { Id: string; Names?: string[]; Created: number }[];
  let stale = images
    .filter((i) => (i.Names ?? []).length === 0 && i.Created * 1000 < runStart)
    .filter((i) => !used.some((id) => i.Id.startsWith(id)))
    .map((i) => i.Id);
  let removed = 0;
  // Children first: a layer with a child cannot go, so go round until nothing more can.
  for (let progress = true; progress && stale.length > 0; ) {
    progress = false;
    const left: string[] = [];
    for (const id of stale) {
      const result = await run('podman', ['rmi', id], { allowFailure: true, logFile });
      if (result.code === 0) {
        removed++;
        progress = true;
      } else left.push(id);
    }
    stale = left;
  }
  return removed;
}
