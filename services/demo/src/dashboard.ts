/**
 * The dashboard beside the demo: on the port the user asked for (8080 by default), so that its address is
 * the same run after run, or on any free port when that one is taken.
 */
import type { Program } from './processes.ts';

export interface DemoDashboard {
  readonly program: Program;
  /** http://127.0.0.1:<port>/, from the dashboard's own log line */
  readonly url: string;
  /** the port asked for was taken, so the dashboard took another */
  readonly portTaken: number | undefined;
}

/**
 * Starts the dashboard with `start(port)` and waits until it serves. The port is tried by the dashboard
 * itself rather than probed beforehand, so no other program can take it in between; only when it is
 * refused as in use does a second start take any free port (0). Any other failure rejects.
 */
export async function startDashboard(start: (port: number) => Program, port: number): Promise<DemoDashboard> {
  const first = await listening(start(port));
  if (first.url !== undefined) return { program: first.program, url: first.url, portTaken: undefined };
  const second = await listening(start(0));
  if (second.url === undefined)
    throw new Error(`the dashboard found no free port; see ${second.program.logFile}`);
  return { program: second.program, url: second.url, portTaken: port };
}

/** Its URL once it serves; none when the port was in use; a rejection when it failed otherwise. */
async function listening(program: Program): Promise<{ program: Program; url: string | undefined }> {
  try {
    const line = await program.waitFor(/^dashboard listening$/);
    return { program, url: String(line.url) };
  } catch (err) {
    await program.exited;
    if (program.logs.some((l) => JSON.stringify(l).includes('EADDRINUSE')))
      return { program, url: undefined };
    throw err;
  }
}
