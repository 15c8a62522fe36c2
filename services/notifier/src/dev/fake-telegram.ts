/**
 * `pnpm fake-telegram`: the tests' local fake of the Telegram Bot API, as a program, so that the notifier
 * (and `pnpm demo`) can be tried with no bot and no internet. It prints the settings that point the
 * notifier at it, then every message the bot sends, as a chat would show it, with its buttons. A line
 * `press <message id> <button number>` on stdin presses a button, as the chat's first member.
 */
import { createInterface } from 'node:readline';
import { startFakeTelegram } from '@pdm/testkit';

// shaped like a real token, which the notifier checks
const TOKEN = '123456789:fake-token-for-local-tries';
const CHAT_ID = '1001';
const PRESSER = { id: 42, username: 'planner', first_name: 'Plant planner' };

const telegram = await startFakeTelegram({ token: TOKEN });
console.log(
  `Fake Telegram Bot API at ${telegram.url}. Point the notifier (or pnpm demo) at it:\n\n` +
    `  TELEGRAM_API_URL=${telegram.url} TELEGRAM_BOT_TOKEN=${TOKEN} TELEGRAM_CHAT_ID=${CHAT_ID} pnpm demo\n\n` +
    'Messages appear below. Press a button with: press <message id> <button number>. Ctrl-C ends.\n',
);

let shown = 0;
async function showMessages(): Promise<void> {
  for (;;) {
    const messages = await telegram.waitForMessages(shown + 1, 2 ** 31 - 1);
    for (const m of messages.slice(shown)) {
      const buttons = m.buttons.map((b, i) => `[${i + 1}] ${b.text}`).join('   ');
      console.log(
        `── message ${m.messageId} to chat ${m.chatId} ──\n${m.visibleText}${buttons ? `\n${buttons}` : ''}\n`,
      );
    }
    shown = messages.length;
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, id, number] = line.trim().split(/\s+/);
  const message = telegram.messages.find((m) => String(m.messageId) === id);
  const button = message?.buttons[Number(number) - 1];
  if (command !== 'press' || !message || !button) {
    console.log('usage: press <message id> <button number>, of a message shown above');
    return;
  }
  telegram.pressButton({
    chatId: message.chatId,
    messageId: message.messageId,
    data: button.data,
    from: PRESSER,
  });
  console.log(`pressed "${button.text}" on message ${message.messageId} as @${PRESSER.username}`);
});

const stop = () => {
  void telegram.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
void showMessages();
