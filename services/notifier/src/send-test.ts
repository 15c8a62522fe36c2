/** `pnpm notifier --test`: one test message through every configured receiver, straight away, with each result. */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@pdm/service-kit';
import type { Clock } from './clock.ts';
import type { NotifierConfig } from './config.ts';
import { testContent } from './content.ts';
import { createReceivers } from './receivers/index.ts';

export interface TestResult {
  readonly receiver: string;
  readonly target: string;
  readonly ok: boolean;
  readonly reason?: string;
}

export async function sendTestMessages(
  config: NotifierConfig,
  clock: Clock,
  logger: Logger,
  signal: AbortSignal,
): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const content = testContent(clock.now());
  for (const receiver of createReceivers(config.receivers, clock, logger).values()) {
    for (const target of receiver.targets) {
      const idempotencyKey = `test-${randomUUID()}`;
      const parts = receiver.render(content, idempotencyKey);
      let result: TestResult = { receiver: receiver.name, target, ok: true };
      for (const [index, text] of parts.entries()) {
        const outcome = await receiver.send({
          target,
          text,
          index,
          total: parts.length,
          notificationId: 0,
          idempotencyKey,
          content,
          signal,
        });
        if (!outcome.ok) {
          result = {
            receiver: receiver.name,
            target,
            ok: false,
            reason: `${outcome.kind}: ${outcome.reason}`,
          };
          break;
        }
      }
      results.push(result);
    }
  }
  return results;
}

/** One line per destination, for the terminal. */
export function describeResults(results: readonly TestResult[]): string {
  return results
    .map(
      (r) =>
        `${r.ok ? 'ok    ' : 'FAILED'} ${r.receiver}${r.target === '' ? '' : ` → chat ${r.target}`}${r.reason ? `: ${r.reason}` : ''}`,
    )
    .join('\n');
}
