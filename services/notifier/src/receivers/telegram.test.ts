import { describe, expect, it } from 'vitest';
import { notificationContent } from '../content.ts';
import { alarmRecord, T0 } from '../testing/alerts.ts';
import { buttonData, createTelegramReceiver, parseButtonData, wantsButtons } from './telegram.ts';

const telegram = createTelegramReceiver({
  type: 'telegram',
  name: 'telegram',
  botToken: '123456:secret-part-of-the-token',
  chatIds: ['-1001', '42'],
  ackChatIds: [],
  apiUrl: 'https://api.telegram.org',
});

describe('the Telegram receiver', () => {
  it('keeps to one message a second per chat, 20 a minute in a group, 30 a second per bot', () => {
    expect(telegram.limits('42')).toEqual([
      { key: 'bot:123456:chat:42', max: 1, windowMs: 1000 },
      { key: 'bot:123456', max: 30, windowMs: 1000 },
    ]);
    expect(telegram.limits('-1001').map((l) => [l.max, l.windowMs])).toEqual([
      [1, 1000],
      [20, 60_000],
      [30, 1000],
    ]);
    // The token's secret part never becomes a key that could be logged.
    expect(JSON.stringify(telegram.limits('-1001'))).not.toContain('secret');
  });

  it('puts the action and the notification into the buttons’ callback data, within Telegram’s 64 bytes', () => {
    const data = buttonData('silence', 123_456_789_012);
    expect(data.length).toBeLessThanOrEqual(64);
    expect(parseButtonData(data)).toEqual({ action: 'silence', notificationId: 123_456_789_012 });
    expect(parseButtonData(buttonData('ack', 7))).toEqual({ action: 'ack', notificationId: 7 });
    expect(parseButtonData('ack:7; DROP TABLE')).toBeUndefined();
  });

  it('offers buttons only while an alarm of the message is open and unacknowledged', () => {
    const content = (ack: boolean, reason: 'update' | 'repeat' = 'update') =>
      notificationContent({
        reason,
        route: 'r',
        group: { key: 'state=FAULTY', labels: { state: 'FAULTY' } },
        firing: [
          alarmRecord(1, 'pump-1', 'FAULTY', ack ? { ack: { by: 'a', at: T0, via: 'telegram' } } : {}),
        ],
        resolved: [],
        newIds: reason === 'update' ? [1] : [],
        now: T0,
      });
    expect(wantsButtons(content(false))).toBe(true);
    expect(wantsButtons(content(false, 'repeat'))).toBe(true);
    expect(wantsButtons(content(true))).toBe(false);
  });
});
