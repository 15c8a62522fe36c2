/** Orderly shutdown: steps run in order, each on its own, so one that fails cannot keep the rest from running. */
import type { Logger } from 'pino';

export type ShutdownStep = readonly [name: string, run: () => unknown];

export async function shutdownInOrder(
  logger: Pick<Logger, 'error'>,
  steps: readonly ShutdownStep[],
): Promise<void> {
  for (const [name, run] of steps) {
    try {
      await run();
    } catch (err) {
      logger.error({ err, step: name }, 'shutdown step failed');
    }
  }
}
