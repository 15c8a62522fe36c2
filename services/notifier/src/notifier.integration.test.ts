/**
 * The notifier in this process against a real Mosquitto and a real SQLite file, on a manual clock, with
 * the fake Telegram Bot API (Telegram cannot be reached from here) and a signature-checking webhook
 * receiver: bursts, outages, acks, silences, inhibition and bad input.
 */
import { type Alert, ackSchema, topicFilter, topics } from '@pdm/contract';
import { type Mosquitto, recordMessages, type SentMessage, startMosquitto } from '@pdm/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertMessage, rulLowMessage, T0 } from './testing/alerts.ts';
import { CHAT, counter, type Harness, OTHER_CHAT, startHarness, until } from './testing/harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const pump = (i: number) => `pump-${String(i).padStart(5, '0')}`;
const alarms = (from: number, to: number, state: 'FAULTY' | 'BROKEN', seq = 100): Alert[] =>
  Array.from({ length: to - from }, (_, k) =>
    alertMessage(pump(from + k), 'alarm', state, {
      seq,
      previous: state === 'BROKEN' ? 'FAULTY' : 'WARNING',
    }),
  );
const firstLine = (m: SentMessage) => m.visibleText.split('\n')[0] ?? '';

let broker: Mosquitto;
let harness: Harness | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
});
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});
afterAll(async () => {
  await broker?.stop();
});

describe('a burst (fake Bot API, manual clock)', () => {
  it('brings 1,000 alarms from 500 pumps within 10 s to each chat as a few grouped messages, within the rate limits', async () => {
    harness = await startHarness(broker, { chats: [CHAT, OTHER_CHAT], webhook: true });
    const h = harness;
    // Telegram is busy at first: the first message is answered 429, retry after 3 s.
    h.telegram.throttleNext(1, 3);
    for (let batch = 0; batch < 10; batch++) {
      const state = batch < 5 ? 'FAULTY' : 'BROKEN';
      const first = (batch % 5) * 100;
      await h.publish(alarms(first, first + 100, state));
      await h.clock.advance(1000);
    }
    await h.run(2 * MINUTE);

    for (const chat of [CHAT, OTHER_CHAT]) {
      const messages = h.telegram.messages.filter((m) => m.chatId === chat);
      const text = messages.map((m) => m.visibleText).join('\n');
      for (let i = 0; i < 500; i++) expect(text).toContain(pump(i));
      // Every pump is BROKEN, and BROKEN mutes FAULTY: one BROKEN message, in parts.
      expect(messages.map(firstLine)[0]).toBe('🔴 BROKEN: 500 pumps firing, 500 new · state=BROKEN');
      expect(messages.some((m) => firstLine(m).includes('FAULTY'))).toBe(false);
      // The README gives this count.
      expect(messages.length).toBe(2);
      console.log(
        `burst of 1,000 alarms from 500 pumps: ${messages.length} Telegram messages in chat ${chat}`,
      );
    }
    // The one forced 429, and none of our own making; nothing came back before its retry_after was over.
    expect(h.telegram.tooManyRequests).toBe(1);
    expect(h.telegram.unhonoured).toBe(0);
    expect(h.webhook.deliveries).toHaveLength(1);
    expect(h.webhook.deliveries[0]?.body.firing).toHaveLength(500);
  });
});

describe('delivery (fake Bot API, manual clock)', () => {
  it('delivers every notification once, in order, after a 10-minute outage of the fake Bot API', async () => {
    harness = await startHarness(broker);
    const h = harness;
    h.telegram.setMode('server-error');
    await h.publish(alarms(0, 10, 'FAULTY'));
    await h.run(5 * MINUTE, 5000);
    await h.publish(alarms(10, 20, 'BROKEN'));
    await h.run(5 * MINUTE, 5000);
    expect(h.telegram.messages).toHaveLength(0);
    expect(
      await counter(h.notifier, 'pdm_notifier_notifications_failed_total', { kind: 'retryable' }),
    ).toBeGreaterThan(2);
    const metrics = await h.notifier.metrics.metrics();
    expect(metrics).toMatch(/pdm_notifier_notifications_pending\{receiver="telegram"\} 2/);
    expect(metrics).toMatch(/pdm_notifier_oldest_pending_age_seconds\{receiver="telegram"\} 5\d\d/);

    h.telegram.setMode('ok');
    await h.run(6 * MINUTE, 5000);
    expect(h.telegram.messages.map(firstLine)).toEqual([
      '🟠 FAULTY: 10 pumps firing, 10 new · state=FAULTY',
      '🔴 BROKEN: 10 pumps firing, 10 new · state=BROKEN',
    ]);
    expect(await h.notifier.metrics.metrics()).toMatch(
      /pdm_notifier_notifications_pending\{receiver="telegram"\} 0/,
    );
  });

  it('turns unhealthy with the reason on a 401 from the fake Bot API, keeps the notification, and sends it once the token works', async () => {
    harness = await startHarness(broker);
    const h = harness;
    h.telegram.setMode('unauthorized');
    await h.publish(alarms(0, 1, 'FAULTY'));
    await h.run(MINUTE);
    const health = h.notifier.health();
    expect(health.healthy).toBe(false);
    expect(health.checks.receivers).toEqual({ telegram: '401 Unauthorized' });
    const response = await fetch(`http://127.0.0.1:${h.notifier.httpPort}/healthz`);
    expect(response.status).toBe(503);

    h.telegram.setMode('ok');
    await h.run(6 * MINUTE, 5000);
    expect(h.telegram.messages).toHaveLength(1);
    expect(h.notifier.health().checks.receivers).toEqual({ telegram: 'ok' });
  });

  it('signs each webhook request and gives each notification its own idempotency key', async () => {
    harness = await startHarness(broker, { webhook: true });
    const h = harness;
    await h.publish([...alarms(0, 2, 'FAULTY'), ...alarms(2, 3, 'BROKEN')]);
    await h.run(MINUTE);
    expect(h.webhook.refused).toEqual([]);
    const keys = h.webhook.deliveries.map((d) => d.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    expect(h.webhook.deliveries.map((d) => d.body.idempotency_key)).toEqual(keys);
  });
});

describe('acknowledging from the chat (fake Bot API, manual clock)', () => {
  it('stops the repeats of an alarm acknowledged from a configured chat, and publishes the ack; another chat is refused', async () => {
    harness = await startHarness(broker, { chats: [CHAT] });
    const h = harness;
    const acks = await recordMessages(broker.url, topicFilter('acks'));
    try {
      await h.publish(alarms(1, 3, 'FAULTY'));
      await h.run(MINUTE);
      const [alarm] = h.telegram.messages;
      expect(alarm?.buttons.map((b) => b.text)).toEqual(['Acknowledge', 'Silence 4 h']);
      const acknowledge = alarm?.buttons[0]?.data ?? '';

      h.telegram.pressButton({
        chatId: OTHER_CHAT,
        messageId: 1,
        data: acknowledge,
        from: { id: 66, first_name: 'Mallory' },
      });
      const [refusal] = await h.telegram.waitForAnswers(1);
      expect(refusal).toMatchObject({ showAlert: true, text: expect.stringMatching(/^Not allowed/) });
      await h.run(4 * HOUR, MINUTE);
      expect(h.telegram.messages.map(firstLine)).toEqual([
        '🟠 FAULTY: 2 pumps firing, 2 new · state=FAULTY',
        '🔁 Still open: 2 pumps · state=FAULTY',
      ]);

      h.telegram.pressButton({
        chatId: CHAT,
        messageId: 2,
        data: acknowledge,
        from: { id: 42, username: 'alice', first_name: 'Alice' },
      });
      const answers = await h.telegram.waitForAnswers(2);
      expect(answers[1]?.text).toBe(
        'Acknowledged by @alice: pump-00001 (FAULTY), pump-00002 (FAULTY). No more reminders for these.',
      );
      const published = await acks.waitFor(2);
      expect(published.map((m) => m.topic).sort()).toEqual([topics.acks(pump(1)), topics.acks(pump(2))]);
      expect(ackSchema.parse(JSON.parse(published[0]?.payload.toString() ?? ''))).toMatchObject({
        by: '@alice',
        via: 'telegram',
        user_id: '42',
        alarm: { state: 'FAULTY', ts: T0, seq: 100 },
      });

      await h.run(9 * HOUR, MINUTE);
      expect(h.telegram.messages).toHaveLength(2);
    } finally {
      await acks.close();
    }
  });
});

describe('silences (manual clock)', () => {
  it('keeps silenced pumps out of the messages until the silence ends, then sends them', async () => {
    harness = await startHarness(broker);
    const h = harness;
    const api = `http://127.0.0.1:${h.notifier.httpPort}/api/silences`;
    const post = (body: unknown) =>
      fetch(api, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bad = await post({ pattern: 'pump/#', duration: 'soon' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: string[] }).problems).toEqual([
      expect.stringMatching(/^pattern: /),
      expect.stringMatching(/^duration: /),
      expect.stringMatching(/^comment: /),
    ]);
    const created = await post({
      pattern: 'pump-0001*',
      duration: '1h',
      comment: 'bearing swap',
      created_by: 'bob',
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ pattern: 'pump-0001*', active: true, created_by: 'bob' });

    await h.publish([...alarms(10, 12, 'FAULTY'), ...alarms(20, 21, 'FAULTY')]);
    await h.run(MINUTE);
    expect(h.telegram.messages).toHaveLength(1);
    expect(h.telegram.messages[0]?.visibleText).toContain(pump(20));
    expect(h.telegram.messages[0]?.visibleText).not.toContain(pump(10));
    expect(await counter(h.notifier, 'pdm_notifier_muted_total', { why: 'silenced' })).toBe(2);

    await h.run(70 * MINUTE, MINUTE);
    expect(h.telegram.messages).toHaveLength(2);
    expect(firstLine(h.telegram.messages[1] as SentMessage)).toBe(
      '🟠 FAULTY: 3 pumps firing, 2 new · state=FAULTY',
    );
    const listed = (await (await fetch(`${api}?all=true`)).json()) as { silences: { active: boolean }[] };
    expect(listed.silences).toMatchObject([{ active: false }]);
  });

  it('silences the pumps of a message for 4 h when "Silence 4 h" is pressed, and an expired silence ends at once', async () => {
    harness = await startHarness(broker);
    const h = harness;
    await h.publish(alarms(1, 2, 'BROKEN'));
    await h.run(MINUTE);
    const silence = h.telegram.messages[0]?.buttons[1]?.data ?? '';
    h.telegram.pressButton({ chatId: CHAT, messageId: 1, data: silence, from: { id: 7, first_name: 'Bob' } });
    expect((await h.telegram.waitForAnswers(1))[0]?.text).toBe('Silenced for 4 h by Bob: pump-00001.');
    const api = `http://127.0.0.1:${h.notifier.httpPort}/api/silences`;
    const { silences } = (await (await fetch(api)).json()) as {
      silences: { id: number; pattern: string; ends_at: string }[];
    };
    expect(silences).toMatchObject([
      { pattern: pump(1), ends_at: new Date(h.clock.now() + 4 * HOUR).toISOString() },
    ]);

    await h.run(5 * HOUR, MINUTE);
    // Silenced: no repeat after 4 h; the silence ended at 4 h, and the group sends the pump again as new.
    expect(h.telegram.messages.map(firstLine)).toEqual([
      '🔴 BROKEN: 1 pump firing, 1 new · state=BROKEN',
      '🔴 BROKEN: 1 pump firing, 1 new · state=BROKEN',
    ]);
    expect((await fetch(`${api}/${silences[0]?.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('inhibition and recovery (manual clock)', () => {
  it('mutes FAULTY while the same pump is BROKEN, and sends a resolved notice when the pump recovers', async () => {
    harness = await startHarness(broker);
    const h = harness;
    await h.publish(alarms(1, 2, 'FAULTY'));
    await h.run(MINUTE);
    await h.publish([
      ...alarms(1, 2, 'BROKEN', 200),
      ...alarms(2, 3, 'FAULTY', 200),
      ...alarms(2, 3, 'BROKEN', 201),
    ]);
    await h.run(10 * MINUTE, 5000);
    expect(h.telegram.messages.map(firstLine)).toEqual([
      '🟠 FAULTY: 1 pump firing, 1 new · state=FAULTY',
      '🔴 BROKEN: 2 pumps firing, 2 new · state=BROKEN',
    ]);
    expect(
      await counter(h.notifier, 'pdm_notifier_muted_total', { why: 'inhibited' }),
    ).toBeGreaterThanOrEqual(2);

    await h.publish([alertMessage(pump(1), 'recovered', 'HEALTHY', { seq: 300, previous: 'BROKEN' })]);
    await h.run(6 * MINUTE, 5000);
    const resolved = h.telegram.messages[2];
    expect(resolved && firstLine(resolved)).toBe('✅ Recovered: 1 pump · state=BROKEN');
    expect(resolved?.visibleText).toContain('pump-00001 BROKEN → HEALTHY after');
    expect(resolved?.buttons).toEqual([]);
    expect(h.telegram.messages).toHaveLength(3);
  });
});

describe('a low remaining useful life (fake Bot API and webhook, manual clock)', () => {
  it('delivers a rul_low like an alarm, grouped apart from the pump’s FAULTY, and a recovery closes both', async () => {
    harness = await startHarness(broker, { webhook: true });
    const h = harness;
    await h.publish([
      ...alarms(1, 2, 'FAULTY'),
      rulLowMessage(pump(1), 12.3, { state: 'FAULTY', seq: 101 }),
      rulLowMessage(pump(2), 30.25),
    ]);
    await h.run(MINUTE);
    expect(h.telegram.messages.map(firstLine).sort()).toEqual([
      '🔧 RUL low: 2 pumps, plan the repair now, 2 new · state=RUL_LOW',
      '🟠 FAULTY: 1 pump firing, 1 new · state=FAULTY',
    ]);
    const rul = h.telegram.messages.find((m) => firstLine(m).startsWith('🔧'));
    expect(rul?.visibleText).toContain(
      'pump-00001 remaining useful life 12.3 h — plan the repair now (FAULTY) · vibration 5.93 mm/s',
    );
    expect(rul?.visibleText).toContain(
      'pump-00002 remaining useful life 30.3 h — plan the repair now (WARNING)',
    );
    expect(rul?.buttons.map((b) => b.text)).toEqual(['Acknowledge', 'Silence 4 h']);
    expect(h.webhook.deliveries.map((d) => d.body.group)).toEqual(
      expect.arrayContaining([{ state: 'RUL_LOW' }, { state: 'FAULTY' }]),
    );
    expect(await counter(h.notifier, 'pdm_notifier_alerts_received_total', { kind: 'rul_low' })).toBe(2);
    expect(await counter(h.notifier, 'pdm_notifier_muted_total', { why: 'inhibited' })).toBe(0);

    // pump-00001 repaired: back to HEALTHY, its FAULTY and its RUL_LOW both resolved
    await h.publish([alertMessage(pump(1), 'recovered', 'HEALTHY', { seq: 300, previous: 'FAULTY' })]);
    await h.run(6 * MINUTE, 5000);
    const later = h.telegram.messages.slice(2).map((m) => m.visibleText);
    expect(later.map((t) => t.split('\n')[0]).sort()).toEqual([
      '✅ Recovered: 1 pump · state=FAULTY',
      '✅ Recovered: 1 pump · state=RUL_LOW',
    ]);
    expect(later.join('\n')).toContain('pump-00001 RUL low → HEALTHY after');
    expect(h.notifier.db.firingOf([pump(1), pump(2)])).toEqual([{ pumpId: pump(2), state: 'RUL_LOW' }]);
  });

  it('mutes a rul_low while the same pump is BROKEN, and stops its repeats when acknowledged, publishing no ack', async () => {
    harness = await startHarness(broker, { chats: [CHAT] });
    const h = harness;
    await h.publish([...alarms(3, 4, 'BROKEN'), rulLowMessage(pump(3), 0.05, { state: 'BROKEN' })]);
    await h.publish([rulLowMessage(pump(4), 2.5)]);
    await h.run(MINUTE);
    expect(h.telegram.messages.map(firstLine).sort()).toEqual([
      '🔧 RUL low: 1 pump, plan the repair now, 1 new · state=RUL_LOW',
      '🔴 BROKEN: 1 pump firing, 1 new · state=BROKEN',
    ]);
    const rul = h.telegram.messages.find((m) => firstLine(m).startsWith('🔧'));
    expect(rul?.visibleText).not.toContain(pump(3));
    expect(
      await counter(h.notifier, 'pdm_notifier_muted_total', { why: 'inhibited' }),
    ).toBeGreaterThanOrEqual(1);

    h.telegram.pressButton({
      chatId: CHAT,
      messageId: rul?.messageId ?? 0,
      data: rul?.buttons[0]?.data ?? '',
      from: { id: 42, username: 'alice', first_name: 'Alice' },
    });
    const [answer] = await h.telegram.waitForAnswers(1);
    expect(answer?.text).toBe('Acknowledged by @alice: pump-00004 (RUL low). No more reminders for these.');
    // the contract's ack names a state alarm: a RUL_LOW's ack stays here
    expect(h.notifier.db.unpublishedAcks()).toEqual([]);
    await h.run(9 * HOUR, MINUTE);
    expect(h.telegram.messages.filter((m) => firstLine(m).includes('RUL'))).toHaveLength(1);
  });
});

describe('bad input', () => {
  it('dead-letters malformed alerts with a reason, and takes a redelivered alert in once', async () => {
    harness = await startHarness(broker);
    const h = harness;
    const valid = alertMessage(pump(1), 'alarm', 'FAULTY');
    const json = JSON.stringify(valid);
    const cases: [string, string, string][] = [
      [topics.alerts(pump(1)), 'pump is fine', 'not_json'],
      [topics.alerts(pump(1)), json.slice(0, 40), 'truncated'],
      [topics.alerts(pump(1)), '', 'empty'],
      [topics.alerts(pump(1)), '[]', 'not_an_object'],
      [topics.alerts(pump(1)), JSON.stringify({ ...valid, kind: 'panic' }), 'invalid_value'],
      [topics.alerts(pump(1)), JSON.stringify({ ...valid, state: 'HEALTHY' }), 'invalid_value'],
      [topics.alerts(pump(1)), JSON.stringify({ ...valid, evidence: undefined }), 'missing_field'],
      [topics.alerts(pump(2)), json, 'pump_mismatch'],
      [topics.alerts(pump(1)), JSON.stringify({ ...valid, padding: 'x'.repeat(20_000) }), 'oversized'],
    ];
    for (const [topic, payload] of cases) await h.publisher.publishAsync(topic, payload, { qos: 1 });
    await h.publish([valid, valid]);
    await until(async () => h.notifier.db.deadLetters().length === cases.length);
    expect(h.notifier.db.deadLetters().map((d) => d.reason)).toEqual(cases.map(([, , reason]) => reason));
    expect(h.notifier.db.deadLetters()[5]?.detail).toBe(
      'an alarm is FAULTY or BROKEN, this one says HEALTHY',
    );
    expect(await counter(h.notifier, 'pdm_notifier_alerts_received_total', { kind: 'duplicate' })).toBe(1);
    await h.run(MINUTE);
    expect(h.telegram.messages.map(firstLine)).toEqual(['🟠 FAULTY: 1 pump firing, 1 new · state=FAULTY']);
  });
});
