/**
 * Runs the pipeline's programs as child processes, the way a user would, each logging to its own file
 * so the terminal stays free for the live view.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVICES = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** tsx's loader inside the child's own process, so a signal reaches the service itself. */
const TSX_LOADER = import.meta.resolve('tsx/esm');

export interface Program {
  readonly name: string;
  readonly logFile: string;
  /** resolves with the exit code, or the signal's name */
  readonly exited: Promise<number | string>;
  /** the JSON log lines seen so far */
  readonly logs: Record<string, unknown>[];
  /** resolves with the first log line whose msg matches; rejects if the program exits first */
  waitFor(msg: RegExp): Promise<Record<string, unknown>>;
  stop(): Promise<number | string>;
  readonly child: ChildProcess;
}

/** What a child needs from the demo's own process: the node binary and the environment. */
export interface Host {
  readonly execPath: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function startProgram(
  host: Host,
  service: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  logDir: string,
): Program {
  const logFile = join(logDir, `${service}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(
    host.execPath,
    ['--import', TSX_LOADER, join(SERVICES, service, 'src/main.ts'), ...args],
    {
      env: { ...host.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  const take = (chunk: Buffer) => {
    log.write(chunk);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {}
    }
    for (const w of waiters) w();
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => {
      log.end();
      done(code ?? signal ?? 'unknown');
      for (const w of waiters) w();
    }),
  );
  return {
    name: service,
    logFile,
    exited,
    logs,
    child,
    waitFor(msg) {
      return new Promise((resolveLine, reject) => {
        const check = () => {
          const hit = logs.find((l) => typeof l.msg === 'string' && msg.test(l.msg));
          if (hit) {
            waiters.delete(check);
            resolveLine(hit);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`${service} exited before "${msg.source}"; see ${logFile}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
