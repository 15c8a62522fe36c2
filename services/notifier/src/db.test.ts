import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotifierDb } from './db.ts';
import { alertMessage, rulLowMessage, T0 } from './testing/alerts.ts';

const DAY = 86_400_000;
const open = () => new NotifierDb(join(mkdtempSync(join(tmpdir(), 'pdm-notifier-db-')), 'n.sqlite'));
const route = { route: 'r', key: 'state=FAULTY', labels: { state: 'FAULTY' }, firstFlushAt: T0 + 30_000 };

describe('the notifier’s database', () => {
  it('takes an alert in once, however often it is delivered', () => {
    const db = open();
    const alert = alertMessage('pump-1', 'alarm', 'FAULTY');
    expect(db.ingest(alert, T0, () => [route])).toEqual({
      duplicate: false,
      opened: [{ route: 'r', key: 'state=FAULTY', flushAt: T0 + 30_000 }],
    });
    expect(db.ingest(alert, T0 + 1, () => [route])).toEqual({ duplicate: true, opened: [] });
    expect(db.groupMembers('r', 'state=FAULTY')).toHaveLength(1);
    db.close();
  });

  it('opens a RUL_LOW alarm beside the pump’s state alarm, refreshes it with a lower RUL, and a recovery resolves both', () => {
    const db = open();
    const rulRoute = { ...route, key: 'state=RUL_LOW', labels: { state: 'RUL_LOW' } };
    const names: string[] = [];
    const routesOf = (name: string) => {
      names.push(name);
      return name === 'RUL_LOW' ? [rulRoute] : [route];
    };
    db.ingest(alertMessage('pump-1', 'alarm', 'FAULTY'), T0, routesOf);
    expect(db.ingest(rulLowMessage('pump-1', 12.3, { state: 'FAULTY' }), T0, routesOf).opened).toEqual([
      { route: 'r', key: 'state=RUL_LOW', flushAt: T0 + 30_000 },
    ]);
    expect(names).toEqual(['FAULTY', 'RUL_LOW']);
    expect(
      db
        .firingOf(['pump-1'])
        .map((a) => a.state)
        .sort(),
    ).toEqual(['FAULTY', 'RUL_LOW']);
    db.ingest(rulLowMessage('pump-1', 4.5, { state: 'FAULTY', seq: 101 }), T0 + 1, routesOf);
    const [rul] = db.groupMembers('r', 'state=RUL_LOW');
    expect(rul?.alert.evidence.rul_h).toBe(4.5);
    expect(db.groupMembers('r', 'state=RUL_LOW')).toHaveLength(1);
    db.ingest(alertMessage('pump-1', 'recovered', 'HEALTHY', { seq: 102 }), T0 + DAY, routesOf);
    expect(db.firingOf(['pump-1'])).toEqual([]);
    expect(db.groupMembers('r', 'state=RUL_LOW')[0]).toMatchObject({ status: 'resolved', endsAt: T0 + DAY });
    db.close();
  });

  it('resolves every firing alarm of a pump when it recovers', () => {
    const db = open();
    db.ingest(alertMessage('pump-1', 'alarm', 'FAULTY'), T0, () => [route]);
    db.ingest(alertMessage('pump-1', 'alarm', 'BROKEN', { seq: 101 }), T0, () => []);
    db.ingest(alertMessage('pump-1', 'recovered', 'HEALTHY', { seq: 102 }), T0 + DAY, () => []);
    expect(db.firingOf(['pump-1'])).toEqual([]);
    expect(db.groupMembers('r', 'state=FAULTY')[0]).toMatchObject({ status: 'resolved', endsAt: T0 + DAY });
    db.close();
  });

  it('prunes what is done with and old, and keeps what a group still holds or is still pending', () => {
    const db = open();
    db.ingest(alertMessage('pump-1', 'alarm', 'FAULTY'), T0, () => [route]);
    db.ingest(alertMessage('pump-1', 'recovered', 'HEALTHY', { seq: 101 }), T0, () => []);
    db.ingest(alertMessage('pump-2', 'alarm', 'FAULTY'), T0, () => []);
    db.ingest(alertMessage('pump-2', 'recovered', 'HEALTHY', { seq: 101 }), T0, () => []);
    const sent = db.enqueue({ idempotencyKey: 'a', receiver: 'r', target: '', content: '{}' }, T0);
    db.markSent(sent.id, T0);
    db.enqueue({ idempotencyKey: 'b', receiver: 'r', target: '', content: '{}' }, T0);
    db.addSilence({
      pattern: '*',
      startsAt: T0,
      endsAt: T0 + 1,
      comment: 'x',
      createdBy: 'y',
      createdAt: T0,
    });
    // one delivered notification, pump-2's alarm, four alert events, one silence
    expect(db.prune(T0 + DAY)).toBe(7);
    // pump-1's resolved alarm waits in its group for the resolved notice; "b" is not delivered yet.
    expect(db.groupMembers('r', 'state=FAULTY')).toHaveLength(1);
    expect(db.nextPending('r', '')?.idempotencyKey).toBe('b');
    expect(db.silences(T0, { all: true })).toEqual([]);
    db.close();
  });
});
