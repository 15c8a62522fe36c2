import { webhookSignature } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';
import { notificationContent } from '../content.ts';
import { alarmRecord, T0 } from '../testing/alerts.ts';
import { alertmanagerBody, pdmBody, signature } from './webhook.ts';

const content = notificationContent({
  reason: 'update',
  route: 'route-0',
  group: { key: 'state=BROKEN', labels: { state: 'BROKEN' } },
  firing: [alarmRecord(7, 'pump-00007', 'BROKEN')],
  resolved: [],
  newIds: [7],
  now: T0,
});

describe('webhook bodies', () => {
  it('signs <timestamp>.<body> with HMAC-SHA256 as a receiver checks it', () => {
    expect(signature('s3cret-s3cret-s3cret', '1767225600', '{"a":1}')).toBe(
      webhookSignature('s3cret-s3cret-s3cret', '1767225600', '{"a":1}'),
    );
    expect(signature('s3cret-s3cret-s3cret', '1767225601', '{"a":1}')).not.toBe(
      signature('s3cret-s3cret-s3cret', '1767225600', '{"a":1}'),
    );
  });

  it('puts the idempotency key, the group and each alarm with its alert into the pdm body', () => {
    const body = pdmBody(content, 'ops', 'key-1');
    expect(body).toMatchObject({
      version: 'pdm-notification/1',
      idempotency_key: 'key-1',
      receiver: 'ops',
      kind: 'alarm',
      status: 'firing',
      group: { state: 'BROKEN' },
      firing: [{ pump_id: 'pump-00007', state: 'BROKEN', status: 'firing', new: true, acknowledged: null }],
      resolved: [],
    });
    expect(body.text).toContain('pump-00007');
  });

  it('names a low remaining useful life in both bodies, with its RUL and what to do', () => {
    const low = notificationContent({
      reason: 'update',
      route: 'route-0',
      group: { key: 'state=RUL_LOW', labels: { state: 'RUL_LOW' } },
      firing: [alarmRecord(8, 'pump-00008', 'RUL_LOW')],
      resolved: [],
      newIds: [8],
      now: T0,
    });
    expect(pdmBody(low, 'ops', 'key-2')).toMatchObject({
      firing: [
        { pump_id: 'pump-00008', state: 'RUL_LOW', alert: { kind: 'rul_low', evidence: { rul_h: 12.3 } } },
      ],
    });
    expect(pdmBody(low, 'ops', 'key-2').text).toContain('remaining useful life 12.3 h — plan the repair now');
    expect(alertmanagerBody(low, 'ops')).toMatchObject({
      commonLabels: { alertname: 'PumpRemainingUsefulLifeLow', state: 'RUL_LOW', severity: 'warning' },
      alerts: [
        {
          annotations: { summary: 'pump-00008: remaining useful life 12.3 h, plan the repair now' },
        },
      ],
    });
  });

  it('speaks Alertmanager’s webhook body when asked to', () => {
    expect(alertmanagerBody(content, 'ops')).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      groupLabels: { state: 'BROKEN' },
      commonLabels: { alertname: 'PumpBroken', pump_id: 'pump-00007', state: 'BROKEN', severity: 'critical' },
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'PumpBroken', pump_id: 'pump-00007' },
          startsAt: new Date(T0).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
        },
      ],
    });
  });
});
