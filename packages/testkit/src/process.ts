/** Runs a service's main.ts as a real child process, as a user would from the shell. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/**
 * tsx's loader inside the service's own node process. The `tsx` command would run the service in a
 * child of its own, and a kill -9 of the command would leave that child running.
 */
const TSX_LOADER = import.meta.resolve('tsx/esm');

export interface RunningService {
  readonly child: ChildProcess;
  readonly cwd: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** resolves with the exit code (or the signal name) */
  readonly exited: Promise<number | string>;
  /** resolves with the first stdout or stderr line matching, rejects if the process exits first */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** parsed JSON log lines (pino) from stdout and stderr */
  logs(): Record<string, unknown>[];
  signal(name: NodeJS.Signals): void;
  /** `promise`, unless the process exits first: then a rejection with its output, instead of a long timeout */
  whileRunning<T>(promise: Promise<T>): Promise<T>;
}

/**
 * The child's environment: only what a shell would give it plus what the test sets, so that a
 * developer's MQTT_URL or a test runner's MODE never leaks into a service under test.
 */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'MOSQUITTO_BIN'];
  return Object.fromEntries(
    keep.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k] as string]])),
  );
}

/** Starts `services/<name>/src/main.ts` (or any script path under the repo) with tsx. */
export function startService(
  script: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
  options: {
    /** working directory; by default a fresh temporary one, so no developer's .env or data is read */
    readonly cwd?: string;
    /** a file descriptor for stdout (e.g. /dev/null), instead of capturing it */
    readonly stdoutFd?: number;
    /** 'pipe' to write to the process's stdin (`child.stdin`), e.g. another process's output; else none */
    readonly stdin?: 'pipe';
    /** extra node flags, e.g. --cpu-prof to profile a service under load */
    readonly nodeArgs?: readonly string[];
  } = {},
): RunningService {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'pdm-service-'));
  const path = script.endsWith('.ts')
    ? resolve(REPO_ROOT, script)
    : resolve(REPO_ROOT, 'services', script, 'src/main.ts');
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', TSX_LOADER, path, ...args],
    {
      cwd,
      env: { ...baseEnv(), LOG_LEVEL: 'info', ...env },
      stdio: [options.stdin ?? 'ignore', options.stdoutFd ?? 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of watchers) w();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of watchers) w();
  });
  const exited = new Promise<number | string>((resolveExit) => {
    child.once('exit', (code, signal) => {
      resolveExit(code ?? signal ?? 'unknown');
      for (const w of watchers) w();
    });
  });
  const lines = () => `${out}\n${err}`.split('\n');
  return {
    child,
    cwd,
    stdout: () => out,
    stderr: () => err,
    exited,
    signal: (name) => child.kill(name),
    whileRunning: (promise) =>
      Promise.race([
        promise,
        exited.then((code) => {
          throw new Error(
            `process exited with ${code} while the test waited\nstdout:\n${out}\nstderr:\n${err}`,
          );
        }),
      ]),
    logs: () =>
      lines()
        .filter((l) => l.startsWith('{"level"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    waitForLine(pattern, timeoutMs = 30_000) {
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(
            new Error(`no line matching ${pattern} within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`),
          );
        }, timeoutMs);
        const check = () => {
          const hit = lines().find((l) => pattern.test(l));
          if (hit !== undefined) {
            clearTimeout(timer);
            watchers.delete(check);
            resolveLine(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            watchers.delete(check);
            reject(new Error(`exited before a line matching ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
          }
        };
        watchers.add(check);
        check();
      });
    },
  };
}
