import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@pdm/service-kit';
import { ManualClock } from '@pdm/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_INHIBIT_RULES, type RouteConfig } from './config.ts';
import type { NotificationContent } from './content.ts';
import { type NotificationRow, NotifierDb } from './db.ts';
import { Dispatcher } from './dispatcher.ts';
import type { Receiver } from './receivers/receiver.ts';
import { alertMessage, routeConfig, T0 } from './testing/alerts.ts';

const route = routeConfig;
/** Receivers as the dispatcher sees them: names and destinations; nothing is sent here. */
const receiver = (name: string, targets: string[]) => ({ name, targets }) as unknown as Receiver;

let db: NotifierDb | undefined;
afterEach(() => db?.close());

function setUp(routes: RouteConfig[]) {
  const clock = new ManualClock(T0);
  db = new NotifierDb(join(mkdtempSync(join(tmpdir(), 'pdm-dispatcher-')), 'n.sqlite'));
  const queued: NotificationRow[] = [];
  const dispatcher = new Dispatcher({
    db,
    config: { receivers: [], routes, inhibitRules: DEFAULT_INHIBIT_RULES },
    receivers: new Map([
      ['on-call', receiver('on-call', ['-1001', '-1002'])],
      ['hook', receiver('hook', [''])],
    ]),
    clock,
    logger: createLogger({ name: 'test', level: 'silent' }),
    events: { muted: () => {}, queued: (rows) => queued.push(...rows) },
  });
  dispatcher.start();
  const contents = () =>
    queued.map((r) => ({
      to: `${r.receiver}${r.target}`,
      ...(JSON.parse(r.content) as NotificationContent),
    }));
  return { clock, dispatcher, queued, contents };
}

describe('the dispatcher (manual clock)', () => {
  it('sends a new group group_wait after its first alarm, with what arrived meanwhile, to every receiver and chat of its route', async () => {
    const { clock, dispatcher, contents } = setUp([
      route('on-call', ['on-call'], { states: ['BROKEN'] }),
      route('everything', ['hook']),
    ]);
    dispatcher.ingest(alertMessage('pump-1', 'alarm', 'BROKEN'));
    await clock.advance(29_000);
    dispatcher.ingest(alertMessage('pump-2', 'alarm', 'BROKEN'));
    dispatcher.ingest(alertMessage('pump-3', 'alarm', 'FAULTY'));
    expect(contents()).toEqual([]);
    await clock.advance(1000);
    const sent = contents().map((c) => [c.to, c.route, c.firing.map((a) => a.pump_id).join()]);
    expect(sent.sort()).toEqual([
      ['hook', 'everything', 'pump-1,pump-2'],
      ['on-call-1001', 'on-call', 'pump-1,pump-2'],
      ['on-call-1002', 'on-call', 'pump-1,pump-2'],
    ]);
    // The FAULTY group opened 29 s in: its first message comes 30 s after that.
    await clock.advance(28_999);
    expect(contents()).toHaveLength(3);
    await clock.advance(1);
    expect(contents().at(-1)).toMatchObject({ to: 'hook', group: { labels: { state: 'FAULTY' } } });
  });

  it('holds a changed group back until group_interval has passed since its last message', async () => {
    const { clock, dispatcher, contents } = setUp([route('everything', ['hook'])]);
    dispatcher.ingest(alertMessage('pump-1', 'alarm', 'FAULTY'));
    await clock.advance(30_000);
    dispatcher.ingest(alertMessage('pump-2', 'alarm', 'FAULTY'));
    await clock.advance(299_999);
    expect(contents()).toHaveLength(1);
    await clock.advance(1);
    expect(contents()[1]).toMatchObject({
      kind: 'alarm',
      firing: [
        { pump_id: 'pump-2', new: true },
        { pump_id: 'pump-1', new: false },
      ],
    });
  });

  it('picks up the groups it left behind after a restart', async () => {
    const first = setUp([route('everything', ['hook'])]);
    first.dispatcher.ingest(alertMessage('pump-1', 'alarm', 'FAULTY'));
    first.dispatcher.stop();
    const again = new Dispatcher({
      db: db as NotifierDb,
      config: { receivers: [], routes: [route('everything', ['hook'])], inhibitRules: DEFAULT_INHIBIT_RULES },
      receivers: new Map([['hook', receiver('hook', [''])]]),
      clock: first.clock,
      logger: createLogger({ name: 'test', level: 'silent' }),
      events: { muted: () => {}, queued: (rows) => first.queued.push(...rows) },
    });
    again.start();
    await first.clock.advance(30_000);
    expect(first.contents().map((c) => c.firing.map((a) => a.pump_id))).toEqual([['pump-1']]);
    again.stop();
  });
});
