/** Runs the commands of the deployment test: output kept whole in a log file, its tail in errors. */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** written to the command's standard input */
  readonly input?: string | Buffer;
  /** every line of output is appended here, after the command line */
  readonly logFile?: string;
  /** a non-zero exit is an error unless this is set */
  readonly allowFailure?: boolean;
  /** killed (SIGKILL) after this long, and then an error */
  readonly timeoutMs?: number;
  /** called with each chunk of output as it comes */
  readonly onOutput?: (text: string) => void;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export class CommandError extends Error {
  constructor(
    message: string,
    readonly result: RunResult,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** The last `lines` lines of a text, for an error message. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const line = [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(' ');
  if (options.logFile) appendFileSync(options.logFile, `\n$ ${line}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const take = (chunk: Buffer, into: 'out' | 'err') => {
      const text = chunk.toString();
      if (into === 'out') stdout += text;
      else stderr += text;
      if (options.logFile) appendFileSync(options.logFile, text);
      options.onOutput?.(text);
    };
    child.stdout?.on('data', (d: Buffer) => take(d, 'out'));
    child.stderr?.on('data', (d: Buffer) => take(d, 'err'));
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    if (options.input !== undefined) child.stdin?.end(options.input);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { code, stdout, stderr, ms: Math.round(performance.now() - started) };
      if (timedOut) {
        reject(
          new CommandError(
            `timed out after ${options.timeoutMs} ms: ${line}\n${tail(stdout + stderr)}`,
            result,
          ),
        );
      } else if (code !== 0 && !options.allowFailure) {
        reject(new CommandError(`exit code ${code}: ${line}\n${tail(stdout + stderr)}`, result));
      } else resolve(result);
    });
  });
}
