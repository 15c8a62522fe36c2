import { ManualClock } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('the rate limiter', () => {
  const chat = { key: 'chat', max: 1, windowMs: 1000 };
  const bot = { key: 'bot', max: 30, windowMs: 1000 };

  it('lets one message a second into a chat', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    expect(limiter.waitMs([chat])).toBe(0);
    limiter.take([chat]);
    expect(limiter.waitMs([chat])).toBe(1000);
    await clock.advance(400);
    expect(limiter.waitMs([chat])).toBe(600);
    await clock.advance(600);
    expect(limiter.waitMs([chat])).toBe(0);
  });

  it('lets 30 messages a second out of a bot, whatever the chats', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    for (let i = 0; i < 30; i++) {
      const limits = [{ ...chat, key: `chat-${i}` }, bot];
      expect(limiter.waitMs(limits)).toBe(0);
      limiter.take(limits);
    }
    expect(limiter.waitMs([{ ...chat, key: 'chat-30' }, bot])).toBe(1000);
  });

  it('holds a chat back until a 429’s retry_after is over', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(clock);
    limiter.block('chat', clock.now() + 7000);
    expect(limiter.waitMs([chat])).toBe(7000);
    await clock.advance(7000);
    expect(limiter.waitMs([chat])).toBe(0);
  });
});
