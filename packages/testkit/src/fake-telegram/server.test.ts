import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../manual-clock.ts';
import { type FakeTelegram, startFakeTelegram } from './server.ts';

const TOKEN = '1:fake-token';
let fake: FakeTelegram | undefined;
afterEach(async () => {
  await fake?.close();
});

async function call(method: string, body: Record<string, unknown>, token = TOKEN) {
  const res = await fetch(`${fake?.url}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the fake Telegram Bot API', () => {
  it('answers a second message to a chat within a second with 429 and retry_after, and counts a request that comes back too early', async () => {
    const clock = new ManualClock();
    fake = await startFakeTelegram({ token: TOKEN, now: () => clock.now() });
    expect((await call('sendMessage', { chat_id: 1, text: 'a' })).status).toBe(200);
    const second = await call('sendMessage', { chat_id: 1, text: 'b' });
    expect(second).toMatchObject({ status: 429, body: { ok: false, parameters: { retry_after: 1 } } });
    expect((await call('sendMessage', { chat_id: 1, text: 'c' })).status).toBe(429);
    expect(fake.unhonoured).toBe(1);
    expect((await call('sendMessage', { chat_id: 2, text: 'other chat' })).status).toBe(200);
    await clock.advance(1000);
    expect((await call('sendMessage', { chat_id: 1, text: 'd' })).status).toBe(200);
    expect(fake.messages.map((m) => m.text)).toEqual(['a', 'other chat', 'd']);
  });

  it('refuses a wrong token with 401 and HTML it cannot parse with 400', async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    expect((await call('sendMessage', { chat_id: 1, text: 'x' }, '1:wrong')).status).toBe(401);
    const bad = await call('sendMessage', { chat_id: 1, text: '<img src=x>', parse_mode: 'HTML' });
    expect(bad).toMatchObject({
      status: 400,
      body: { description: expect.stringMatching(/can't parse entities/) },
    });
  });

  it('hands a button press to a waiting getUpdates call, and forgets it once the offset confirms it', async () => {
    fake = await startFakeTelegram({ token: TOKEN });
    const poll = call('getUpdates', { offset: 0, timeout: 30 });
    fake.pressButton({ chatId: '-5', messageId: 9, data: 'ack:1', from: { id: 3, first_name: 'Ann' } });
    const { body } = await poll;
    const updates = body.result as { update_id: number; callback_query: { data: string } }[];
    expect(updates.map((u) => u.callback_query.data)).toEqual(['ack:1']);
    const next = await call('getUpdates', { offset: (updates[0]?.update_id ?? 0) + 1, timeout: 0 });
    expect(next.body.result).toEqual([]);
  });
});
