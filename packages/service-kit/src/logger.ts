/** pino logger factory: JSON lines for machines, pretty colours only when a person watches a terminal. */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export interface LoggerSettings {
  readonly name: string;
  readonly level: string;
  /**
   * Where logs go. stderr for programs whose stdout carries data (`--stdout` JSON Lines),
   * so the two streams never mix.
   */
  readonly to?: 'stdout' | 'stderr';
}

export function createLogger({ name, level, to = 'stdout' }: LoggerSettings): Logger {
  const fd = to === 'stdout' ? 1 : 2;
  const stream = to === 'stdout' ? process.stdout : process.stderr;
  const options: LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
  };
  // A synchronous pretty stream, not a worker-thread transport: one process, nothing to lose on exit.
  const destination: DestinationStream = stream.isTTY
    ? pretty({
        colorize: true,
        destination: fd,
        sync: true,
        translateTime: 'HH:MM:ss.l',
        ignore: 'pid,hostname,service',
      })
    : pino.destination({ fd, sync: true });
  return pino(options, destination);
}
