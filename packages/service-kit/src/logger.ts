/** pino logger factory: JSON lines for machines, pretty colours only when a person watches a terminal. */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

/**
 * Where logs go: a standard stream (`process.stdout` or `process.stderr`, handed in by main), pretty
 * when it is a terminal; a file, JSON lines appended; or, for tests, anything that takes JSON lines.
 */
export type LogTarget =
  | { readonly fd: number; readonly isTTY?: boolean }
  | { readonly file: string }
  | { readonly lines: DestinationStream };

export interface LoggerSettings {
  readonly name: string;
  readonly level: string;
  /**
   * stderr for programs whose stdout carries data (`--stdout` JSON Lines), so the two streams never
   * mix. Default: JSON lines on stdout (fd 1).
   */
  readonly to?: LogTarget;
}

export function createLogger({ name, level, to = { fd: 1 } }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
  };
  // Synchronous streams, not a worker-thread transport: one process, nothing to lose on exit.
  let destination: DestinationStream;
  if ('lines' in to) destination = to.lines;
  else if ('file' in to) destination = pino.destination({ dest: to.file, sync: true, mkdir: true });
  else if (to.isTTY)
    destination = pretty({
      colorize: true,
      destination: to.fd,
      sync: true,
      translateTime: 'HH:MM:ss.l',
      ignore: 'pid,hostname,service',
    });
  else destination = pino.destination({ fd: to.fd, sync: true });
  return pino(options, destination);
}
