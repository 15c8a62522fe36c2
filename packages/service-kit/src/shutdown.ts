/**
 * Orderly shutdown: steps run in order, each on its own and each for a bounded time, so one that fails
 * or hangs (a broker that answers nothing, a disk that keeps failing) cannot keep the rest from running.
 */
import type { Logger } from 'pino';
import { TimeoutError, withTimeout } from './timeout.ts';

export type ShutdownStep = readonly [name: string, run: () => unknown];

/** A step still running after this long is abandoned; what it had not finished is redelivered later. */
export const SHUTDOWN_STEP_TIMEOUT_MS = 3_000;
/**
 * After SIGTERM every program is gone within this long, whatever hangs. Docker's default grace period
 * before SIGKILL is 10 s; compose gives our services 30 s.
 */
export const SHUTDOWN_DEADLINE_MS = 10_000;

export async function shutdownInOrder(
  logger: Pick<Logger, 'error' | 'warn'>,
  steps: readonly ShutdownStep[],
  stepTimeoutMs = SHUTDOWN_STEP_TIMEOUT_MS,
): Promise<void> {
  for (const [name, run] of steps) {
    try {
      await withTimeout(Promise.resolve().then(run), stepTimeoutMs);
    } catch (err) {
      if (err instanceof TimeoutError)
        logger.warn(
          { step: name, afterMs: stepTimeoutMs },
          'shutdown step abandoned: it did not finish in time',
        );
      else logger.error({ err, step: name }, 'shutdown step failed');
    }
  }
}

export interface SignalHandling {
  /** the program's orderly stop; its promise settling ends the process */
  readonly stop: () => Promise<unknown>;
  /** exit code once stop() has resolved; default 0 */
  readonly exitCode?: () => number;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  /** process.on and process.exit, passed in so that only the main part (run-main.ts) touches `process` */
  readonly onSignal: (signal: 'SIGINT' | 'SIGTERM', handler: () => void) => void;
  readonly exit: (code: number) => void;
  readonly deadlineMs?: number;
}

/**
 * On SIGINT or SIGTERM: stop in order and exit. A second signal, or the deadline passing, exits at
 * once with code 1: nothing unacknowledged is lost that way, it is redelivered on the next start.
 */
export function stopOnSignals(handling: SignalHandling): void {
  const { logger, exit } = handling;
  let stopping = false;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopping) {
      logger.error({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const deadlineMs = handling.deadlineMs ?? SHUTDOWN_DEADLINE_MS;
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown did not finish in time: exiting');
      exit(1);
    }, deadlineMs).unref();
    handling.stop().then(
      () => exit(handling.exitCode?.() ?? 0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) handling.onSignal(signal, () => onSignal(signal));
}
