import { parseTelegramHtml } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';
import { notificationContent } from './content.ts';
import { escapeHtml, HTML, PLAIN, renderMessage, rulText, TELEGRAM_MAX_CHARS } from './render.ts';
import { alarmRecord, T0 } from './testing/alerts.ts';

const content = (firing: ReturnType<typeof alarmRecord>[], resolved: ReturnType<typeof alarmRecord>[] = []) =>
  notificationContent({
    reason: 'update',
    route: 'route-0',
    group: { key: 'state=FAULTY', labels: { state: 'FAULTY' } },
    firing,
    resolved,
    newIds: firing.map((a) => a.id),
    now: T0,
  });

describe('messages', () => {
  it('escapes every string from the bus and from Telegram in HTML', () => {
    expect(escapeHtml('<img src=x onerror="alert(1)"> & co')).toBe(
      '&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co',
    );
    const hostile = '<img src=x onerror=alert(1)>';
    const alarm = alarmRecord(1, hostile, 'FAULTY', {
      ack: { by: '<b>Eve & co</b>', at: T0, via: 'telegram' },
    });
    const [message] = renderMessage(content([alarm]), HTML);
    const parsed = parseTelegramHtml(message ?? '');
    expect(parsed.ok).toBe(true);
    expect(parsed.ok && parsed.text).toContain(hostile);
    expect(parsed.ok && parsed.text).toContain('acknowledged by <b>Eve & co</b>');
  });

  it('shows a new alarm with its evidence', () => {
    const [message] = renderMessage(content([alarmRecord(1, 'pump-00012', 'FAULTY')]), PLAIN);
    expect(message).toContain('🟠 FAULTY: 1 pump firing, 1 new · state=FAULTY');
    expect(message).toContain(
      'pump-00012 WARNING → FAULTY · vibration 5.93 mm/s (ISO zone C) · 71.2 °C · P(FAULTY) 0.62',
    );
  });

  it('says a low remaining useful life in hours, and to plan the repair now', () => {
    const low = alarmRecord(1, 'pump-00012', 'RUL_LOW');
    const [message] = renderMessage(
      notificationContent({
        reason: 'update',
        route: 'route-0',
        group: { key: 'state=RUL_LOW', labels: { state: 'RUL_LOW' } },
        firing: [low],
        resolved: [],
        newIds: [1],
        now: T0,
      }),
      PLAIN,
    );
    expect(message).toContain('🔧 RUL low: 1 pump, plan the repair now, 1 new · state=RUL_LOW');
    expect(message).toContain(
      'pump-00012 remaining useful life 12.3 h — plan the repair now (WARNING) · vibration 5.93 mm/s',
    );
    expect(message).not.toContain('P(');
    // beside a state alarm of the same pump (grouped by pump), the state alarm heads the message
    const [mixed] = renderMessage(content([low, alarmRecord(2, 'pump-00012', 'FAULTY')]), PLAIN);
    expect(mixed?.split('\n')[0]).toBe('🟠 FAULTY: 2 pumps firing, 2 new · state=FAULTY');
    expect(mixed).toContain('remaining useful life 12.3 h — plan the repair now');
  });

  it('writes a remaining useful life below an hour in minutes', () => {
    expect(rulText(0.25)).toBe('15 min');
    expect(rulText(1234.4)).toBe('1234 h');
  });

  it('lists five hundred pumps in a few messages of at most 4,096 characters, each one Telegram can parse', () => {
    const alarms = Array.from({ length: 500 }, (_, i) =>
      alarmRecord(i + 1, `pump-${String(i).padStart(5, '0')}`, 'BROKEN'),
    );
    const parts = renderMessage(content(alarms), HTML);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.length).toBeLessThanOrEqual(4);
    const visible = parts.map((p) => {
      expect(p.length).toBeLessThanOrEqual(TELEGRAM_MAX_CHARS);
      const parsed = parseTelegramHtml(p);
      expect(parsed.ok).toBe(true);
      return parsed.ok ? parsed.text : '';
    });
    for (const a of alarms) expect(visible.join('\n')).toContain(a.pumpId);
    expect(visible[1]).toMatch(/^\(continued 2\/\d\)/);
  });

  it('says which pumps recovered, and after how long', () => {
    const resolved = alarmRecord(1, 'pump-00003', 'BROKEN', { status: 'resolved', endsAt: T0 + 13 * 60_000 });
    const message = renderMessage(
      notificationContent({
        reason: 'update',
        route: 'route-0',
        group: { key: 'state=BROKEN', labels: { state: 'BROKEN' } },
        firing: [],
        resolved: [resolved],
        newIds: [],
        now: T0 + 13 * 60_000,
      }),
      PLAIN,
    )[0];
    expect(message).toContain('✅ Recovered: 1 pump · state=BROKEN');
    expect(message).toContain('pump-00003 BROKEN → HEALTHY after 13 min');
  });
});
