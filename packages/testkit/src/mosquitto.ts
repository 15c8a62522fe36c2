/** A real Mosquitto broker on a free port, for tests and benchmarks. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './process.ts';

export interface Mosquitto {
  readonly url: string;
  readonly port: number;
  /** folder holding the generated config and, with persistence, the broker's database */
  readonly dir: string;
  /** SIGTERM and wait; the broker saves its persistence file on the way out */
  stop(): Promise<void>;
  /** starts it again on the same port with the same config and data */
  restart(): Promise<void>;
  /**
   * SIGSTOP: a hung broker. The kernel still accepts TCP connections for it, but nothing is read or
   * answered until resume().
   */
  pause(): void;
  resume(): void;
}

export interface MosquittoOptions {
  /** extra mosquitto.conf lines, e.g. `max_queued_messages 0` */
  readonly config?: readonly string[];
  /**
   * Leave out the project's queue limits (mosquitto/conf.d/limits.conf) and run with Mosquitto's
   * defaults, e.g. to show what those defaults lose.
   */
  readonly stockLimits?: boolean;
  /** keeps the broker's state on disk in `dir` (persistence true) */
  readonly persistence?: boolean;
}

export function mosquittoBinary(): string {
  const candidates = [
    process.env.MOSQUITTO_BIN,
    '/usr/sbin/mosquitto',
    '/usr/bin/mosquitto',
    '/usr/local/sbin/mosquitto',
  ];
  const found = candidates.find((p): p is string => p !== undefined && existsSync(p));
  if (!found)
    throw new Error('mosquitto not found: install it (apt-get install mosquitto) or set MOSQUITTO_BIN');
  return found;
}

/** The deployed broker's queue and session limits, so tests run against the same sizing. */
async function projectLimits(): Promise<string[]> {
  const text = await readFile(join(REPO_ROOT, 'mosquitto/conf.d/limits.conf'), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'pdm-mosquitto-'));
  // Started as root, Mosquitto drops to its own user: it must be able to write its database here.
  if (options.persistence) await chmod(dir, 0o777);
  const port = await freePort();
  const confPath = join(dir, 'mosquitto.conf');
  await writeFile(
    confPath,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(options.stockLimits ? [] : await projectLimits()),
      ...(options.persistence
        ? ['persistence true', `persistence_location ${dir}/`, 'autosave_interval 1']
        : []),
      ...(options.config ?? []),
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let stderr = '';
  const launch = async () => {
    stderr = '';
    child = spawn(mosquittoBinary(), ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await waitForPort(port, child, () => stderr);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGCONT');
      running.kill('SIGTERM');
    });
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await stop();
      await launch();
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`mosquitto did not listen on ${port} within 10 s: ${stderr()}`);
}
