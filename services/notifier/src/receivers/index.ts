/** One Receiver per configured receiver. */
import type { Logger } from '@pdm/service-kit';
import type { Clock } from '../clock.ts';
import type { ReceiverConfig } from '../config.ts';
import { createConsoleReceiver } from './console.ts';
import type { Receiver } from './receiver.ts';
import { createTelegramReceiver } from './telegram.ts';
import { createWebhookReceiver } from './webhook.ts';

export type { Receiver } from './receiver.ts';

export function createReceivers(
  configs: readonly ReceiverConfig[],
  clock: Clock,
  logger: Logger,
): Map<string, Receiver> {
  return new Map(
    configs.map((c) => [
      c.name,
      c.type === 'telegram'
        ? createTelegramReceiver(c)
        : c.type === 'webhook'
          ? createWebhookReceiver(c, clock)
          : createConsoleReceiver(c, logger),
    ]),
  );
}
