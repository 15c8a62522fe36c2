/** The console receiver, for the demo and for trying things out: each message as a log line, or appended to a file. */
import { appendFile } from 'node:fs/promises';
import type { Logger } from '@pdm/service-kit';
import type { ConsoleReceiverConfig } from '../config.ts';
import { PLAIN, renderMessage } from '../render.ts';
import type { PartToSend, Receiver } from './receiver.ts';

/** The log message of a notification on the console; the demo's live view looks for it. */
export const CONSOLE_MESSAGE = 'notification';

export function createConsoleReceiver(config: ConsoleReceiverConfig, logger: Logger): Receiver {
  return {
    name: config.name,
    type: 'console',
    targets: [''],
    render: (content) => renderMessage(content, PLAIN, Number.POSITIVE_INFINITY),
    limits: () => [],
    async send(part: PartToSend) {
      if (config.path === undefined) {
        logger.info(
          {
            receiver: config.name,
            kind: part.content.kind,
            idempotencyKey: part.idempotencyKey,
            text: part.text,
          },
          CONSOLE_MESSAGE,
        );
        return { ok: true };
      }
      try {
        await appendFile(config.path, `${part.text}\n\n`);
        return { ok: true };
      } catch (err) {
        return {
          ok: false,
          kind: 'refused',
          reason: `cannot append to ${config.path}: ${(err as Error).message}`,
        };
      }
    },
  };
}
