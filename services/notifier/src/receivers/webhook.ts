/**
 * The webhook receiver: POST of a JSON body (the documented `pdm` one, or Alertmanager's webhook body so
 * that receivers made for Alertmanager work unchanged), signed with HMAC-SHA256 over `<timestamp>.<body>`
 * and carrying the notification's idempotency key.
 */
import { createHash, createHmac } from 'node:crypto';
import type { AlarmName } from '../alerts.ts';
import type { Clock } from '../clock.ts';
import type { WebhookReceiverConfig } from '../config.ts';
import type { AlarmView, NotificationContent } from '../content.ts';
import { PLAIN, PLAN_THE_REPAIR, renderMessage, rulText } from '../render.ts';
import { httpFailure, networkFailure, retryAfterSeconds } from './outcome.ts';
import type { PartToSend, Receiver } from './receiver.ts';

export const SIGNATURE_HEADER = 'X-PDM-Signature';
export const TIMESTAMP_HEADER = 'X-PDM-Timestamp';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const PDM_BODY_VERSION = 'pdm-notification/1';
const REQUEST_TIMEOUT_MS = 15_000;

/** `v1=` and the hex HMAC-SHA256, keyed with the secret, of the timestamp (Unix seconds), a dot and the body. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Alertmanager's alertname of each alarm. */
const ALERT_NAMES: Readonly<Record<AlarmName, string>> = {
  FAULTY: 'PumpFaulty',
  BROKEN: 'PumpBroken',
  RUL_LOW: 'PumpRemainingUsefulLifeLow',
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The documented body (README, "Notifications"). */
export function pdmBody(
  content: NotificationContent,
  receiver: string,
  idempotencyKey: string,
): Record<string, unknown> {
  const alarm = (a: AlarmView) => ({
    pump_id: a.pump_id,
    state: a.state,
    status: a.status,
    new: a.new,
    starts_at: iso(a.starts_at),
    ends_at: iso(a.ends_at),
    acknowledged: a.acknowledged && { by: a.acknowledged.by, at: iso(a.acknowledged.at) },
    alert: a.alert,
  });
  return {
    version: PDM_BODY_VERSION,
    idempotency_key: idempotencyKey,
    receiver,
    kind: content.kind,
    status: content.firing.length > 0 || content.kind === 'test' ? 'firing' : 'resolved',
    route: content.route,
    group: content.group.labels,
    created_at: iso(content.created_at),
    firing: content.firing.map(alarm),
    resolved: content.resolved.map(alarm),
    text: renderMessage(content, PLAIN, Number.POSITIVE_INFINITY)[0] ?? '',
  };
}

/** Alertmanager's webhook body (version 4), for receivers written for Alertmanager. */
export function alertmanagerBody(content: NotificationContent, receiver: string): Record<string, unknown> {
  const alert = (a: AlarmView) => {
    const labels = {
      alertname: ALERT_NAMES[a.state],
      pump_id: a.pump_id,
      state: a.state,
      severity: a.state === 'BROKEN' ? 'critical' : 'warning',
    };
    const e = a.alert.evidence;
    const rul = e.rul_h === undefined ? 'low' : rulText(e.rul_h);
    return {
      status: a.status,
      labels,
      annotations: {
        summary:
          a.state === 'RUL_LOW'
            ? `${a.pump_id}: remaining useful life ${rul}, ${PLAN_THE_REPAIR}`
            : `${a.pump_id} is ${a.state}`,
        description: `${a.state === 'RUL_LOW' ? `remaining useful life ${rul} while ${a.alert.state}` : `${a.alert.previous_state} → ${a.state}`}; vibration ${e.vibration_rms} mm/s (ISO zone ${e.iso_zone}), ${e.temperature} °C; model ${a.alert.model_version}`,
        ...(a.acknowledged ? { acknowledged_by: a.acknowledged.by } : {}),
      },
      startsAt: iso(a.starts_at),
      // Alertmanager's "not ended yet"
      endsAt: iso(a.ends_at) ?? '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: createHash('sha256').update(`${a.pump_id}\u0000${a.state}`).digest('hex').slice(0, 16),
    };
  };
  const alerts = [...content.firing, ...content.resolved].map(alert);
  const common = (name: 'alertname' | 'pump_id' | 'state' | 'severity') => {
    const values = new Set(alerts.map((a) => a.labels[name]));
    return values.size === 1 ? { [name]: [...values][0] } : {};
  };
  return {
    version: '4',
    groupKey: `{}/${content.route}:{${Object.entries(content.group.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ')}}`,
    truncatedAlerts: 0,
    status: content.firing.length > 0 || content.kind === 'test' ? 'firing' : 'resolved',
    receiver,
    groupLabels: content.group.labels,
    commonLabels: { ...common('alertname'), ...common('pump_id'), ...common('state'), ...common('severity') },
    commonAnnotations: {},
    externalURL: '',
    alerts,
  };
}

export function createWebhookReceiver(config: WebhookReceiverConfig, clock: Clock): Receiver {
  return {
    name: config.name,
    type: 'webhook',
    targets: [''],
    render: (content, idempotencyKey) => [
      JSON.stringify(
        config.format === 'alertmanager'
          ? alertmanagerBody(content, config.name)
          : pdmBody(content, config.name, idempotencyKey),
      ),
    ],
    limits: () => [],
    async send(part: PartToSend) {
      const timestamp = String(Math.floor(clock.now() / 1000));
      const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      let res: Response;
      try {
        res = await fetch(config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'pump-pdm-notifier',
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signature(config.secret, timestamp, part.text),
            [IDEMPOTENCY_HEADER]: part.idempotencyKey,
          },
          body: part.text,
          signal: AbortSignal.any([part.signal, timeout]),
        });
      } catch (err) {
        return networkFailure(err);
      }
      const text = await res.text().catch(() => '');
      if (res.ok) return { ok: true };
      return httpFailure(
        res.status,
        text.slice(0, 200) || res.statusText,
        retryAfterSeconds(res.headers.get('retry-after'), clock.now()),
      );
    },
  };
}
