/** docker-compose as a user runs it in the deployment's folder, against the test's Podman socket. */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { type RunOptions, type RunResult, run } from './exec.ts';

export interface ComposeOptions {
  /** the deployment's folder (a copy of the repository), where .env and docker-compose.yml are */
  readonly dir: string;
  /** COMPOSE_PROJECT_NAME: unique to the run, so that nothing of anybody else's is touched */
  readonly project: string;
  /** DOCKER_HOST */
  readonly dockerHost: string;
  /** PUBLISH_ADDRESS: where the ports are published on the host */
  readonly publishAddress: string;
  readonly logFile: string;
}

export class Compose {
  constructor(readonly options: ComposeOptions) {}

  /**
   * A shell's environment and the three settings the test makes: nothing else of the test runner's, so
   * that the deployment reads its settings from .env as on a user's host.
   */
  env(): NodeJS.ProcessEnv {
    const { project, dockerHost, publishAddress } = this.options;
    const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR'];
    return {
      ...Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : []))),
      DOCKER_HOST: dockerHost,
      COMPOSE_PROJECT_NAME: project,
      PUBLISH_ADDRESS: publishAddress,
      COMPOSE_HTTP_TIMEOUT: '300',
    };
  }

  /** `docker-compose <args>` in the deployment's folder; its output goes to the log file. */
  run(
    args: readonly string[],
    options: Omit<RunOptions, 'cwd' | 'env' | 'logFile'> = {},
  ): Promise<RunResult> {
    return run('docker-compose', args, {
      ...options,
      cwd: this.options.dir,
      env: this.env(),
      logFile: this.options.logFile,
    });
  }

  /** A long-running `docker-compose <args>`, e.g. `run tail-predictions`; its output is handed over line by line. */
  spawn(
    args: readonly string[],
    onLine: (line: string) => void,
  ): { child: ChildProcess; exited: Promise<number | null> } {
    appendFileSync(this.options.logFile, `\n$ docker-compose ${args.join(' ')} &\n`);
    const child = spawn('docker-compose', args, {
      cwd: this.options.dir,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    child.stdout?.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    child.stderr?.on('data', (d: Buffer) => appendFileSync(this.options.logFile, d));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    return { child, exited };
  }
}
