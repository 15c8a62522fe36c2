import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pdm/service-kit';
import { ManualClock } from '@pdm/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKOFF_MAX_MS } from './backoff.ts';
import { testContent } from './content.ts';
import { NotifierDb } from './db.ts';
import { Delivery } from './delivery.ts';
import type { SendOutcome } from './receivers/outcome.ts';
import type { PartToSend, Receiver } from './receivers/receiver.ts';

/** A receiver that answers from a script, in memory: the outbox's side of delivery, without any network. */
function scriptedReceiver(answers: SendOutcome[], parts = 1) {
  const sent: { key: string; part: number; at: number }[] = [];
  let clock: ManualClock | undefined;
  const receiver: Receiver = {
    name: 'scripted',
    type: 'webhook',
    targets: [''],
    render: () => Array.from({ length: parts }, (_, i) => `part ${i}`),
    limits: () => [{ key: 'chat', max: 1, windowMs: 1000 }],
    async send(part: PartToSend) {
      const answer = answers.shift() ?? { ok: true };
      if (answer.ok) sent.push({ key: part.idempotencyKey, part: part.index, at: clock?.now() ?? 0 });
      return answer;
    },
  };
  return { receiver, sent, useClock: (c: ManualClock) => (clock = c) };
}

let delivery: Delivery | undefined;
let db: NotifierDb | undefined;
afterEach(async () => {
  await delivery?.stop();
  db?.close();
});

function setUp(script: ReturnType<typeof scriptedReceiver>) {
  const clock = new ManualClock();
  script.useClock(clock);
  db = new NotifierDb(join(mkdtempSync(join(tmpdir(), 'pdm-delivery-')), 'n.sqlite'));
  const failures: string[] = [];
  delivery = new Delivery({
    db,
    receivers: new Map([['scripted', script.receiver]]),
    clock,
    logger: createLogger({ name: 'test', level: 'silent' }),
    random: () => 1,
    events: { sent: () => {}, failed: (_, kind) => failures.push(kind) },
  });
  const enqueue = (key: string) => {
    db?.enqueue(
      { idempotencyKey: key, receiver: 'scripted', target: '', content: JSON.stringify(testContent(0)) },
      clock.now(),
    );
    delivery?.poke('scripted', '');
  };
  const step = async (ms: number) => {
    await clock.advance(ms);
    await delivery?.idle();
  };
  return { clock, enqueue, step, failures, db, delivery };
}

describe('delivery from the outbox (scripted receiver, manual clock)', () => {
  it('sends notifications oldest first, one a second where the limit says so', async () => {
    const script = scriptedReceiver([]);
    const { enqueue, step } = setUp(script);
    enqueue('a');
    enqueue('b');
    enqueue('c');
    await step(0);
    expect(script.sent.map((s) => s.key)).toEqual(['a']);
    await step(1000);
    await step(1000);
    expect(script.sent.map((s) => [s.key, s.at - (script.sent[0]?.at ?? 0)])).toEqual([
      ['a', 0],
      ['b', 1000],
      ['c', 2000],
    ]);
  });

  it('retries a failure with growing waits, keeping the order, until it goes through', async () => {
    const retry: SendOutcome = { ok: false, kind: 'retryable', reason: '502' };
    const script = scriptedReceiver([retry, retry, retry]);
    const { enqueue, step, failures } = setUp(script);
    enqueue('a');
    enqueue('b');
    await step(0);
    await step(1000); // the first retry, after 1 s
    await step(2000); // the second, after 2 s
    expect(script.sent).toEqual([]);
    await step(3999);
    expect(script.sent).toEqual([]);
    await step(1); // the third retry, 4 s after the third failure
    await step(1000);
    expect(script.sent.map((s) => s.key)).toEqual(['a', 'b']);
    expect(failures).toEqual(['retryable', 'retryable', 'retryable']);
  });

  it('waits out a 429’s retry_after, not a moment less', async () => {
    const script = scriptedReceiver([{ ok: false, kind: 'rate_limited', retryAfterMs: 7000, reason: '429' }]);
    const { enqueue, step } = setUp(script);
    enqueue('a');
    await step(6999);
    expect(script.sent).toEqual([]);
    await step(1);
    expect(script.sent.map((s) => s.key)).toEqual(['a']);
  });

  it('reports a refusing receiver as a problem, keeps the notification, and clears the problem once one goes through', async () => {
    const script = scriptedReceiver([{ ok: false, kind: 'refused', reason: '401 Unauthorized' }]);
    const { enqueue, step, delivery } = setUp(script);
    enqueue('a');
    await step(0);
    expect(delivery.problems.get('scripted')).toBe('401 Unauthorized');
    await step(BACKOFF_MAX_MS);
    expect(script.sent.map((s) => s.key)).toEqual(['a']);
    expect(delivery.problems.size).toBe(0);
  });

  it('goes on after a restart with the part that was not yet sent, under the same idempotency key', async () => {
    const script = scriptedReceiver([{ ok: true }, { ok: false, kind: 'retryable', reason: 'reset' }], 3);
    const first = setUp(script);
    first.enqueue('a');
    await first.step(1000);
    await first.delivery.stop();
    // A new run on the same file, as after a restart.
    const again = new Delivery({
      db: first.db,
      receivers: new Map([['scripted', script.receiver]]),
      clock: first.clock,
      logger: createLogger({ name: 'test', level: 'silent' }),
      events: { sent: () => {}, failed: () => {} },
    });
    delivery = again;
    again.start();
    await first.clock.advance(10_000);
    await again.idle();
    await first.clock.advance(10_000);
    await again.idle();
    expect(script.sent.map((s) => `${s.key}:${s.part}`)).toEqual(['a:0', 'a:1', 'a:2']);
    expect(first.db.nextPending('scripted', '')).toBeUndefined();
  });
});
