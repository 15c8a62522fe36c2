/**
 * A notification as people read it: Telegram HTML (every string from the bus escaped) or plain text, in
 * parts of at most 4,096 characters. A big group shows its first alarms in detail and the rest by pump id,
 * so that five hundred pumps fit in a few messages.
 */
import { ALARM_NAMES, type AlarmName, alarmLabel } from './alerts.ts';
import type { AlarmView, NotificationContent } from './content.ts';

/** Telegram's limit on a message's text. */
export const TELEGRAM_MAX_CHARS = 4096;
/** New alarms shown with their evidence; the others are listed by pump id. */
export const DETAILED_ALARMS = 10;
const IDS_PER_LINE = 8;

/** Telegram HTML needs `<`, `>` and `&` escaped in text, and `"` in attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Style {
  readonly text: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly italic: (s: string) => string;
}

export const HTML: Style = {
  text: escapeHtml,
  bold: (s) => `<b>${escapeHtml(s)}</b>`,
  italic: (s) => `<i>${escapeHtml(s)}</i>`,
};
export const PLAIN: Style = { text: (s) => s, bold: (s) => s, italic: (s) => s };

const ICONS = {
  BROKEN: '🔴',
  FAULTY: '🟠',
  RUL_LOW: '🔧',
  resolved: '✅',
  repeat: '🔁',
  test: '🧪',
} as const;

/** What a low remaining useful life asks of people. */
export const PLAN_THE_REPAIR = 'plan the repair now';

/** Renders a notification and splits it into messages of at most `maxChars` each. */
export function renderMessage(
  content: NotificationContent,
  style: Style,
  maxChars = TELEGRAM_MAX_CHARS,
): string[] {
  return splitLines(messageLines(content, style), maxChars, style);
}

function messageLines(c: NotificationContent, s: Style): string[] {
  if (c.kind === 'test')
    return [
      `${ICONS.test} ${s.bold('pump-pdm notifier: test message')}`,
      s.text(`Sent at ${isoMinute(c.created_at)} by pnpm notifier --test. Alarms will arrive here.`),
    ];
  const lines: string[] = [];
  const worst = c.firing.reduce<AlarmName>(
    (w, a) => (ALARM_NAMES.indexOf(a.state) > ALARM_NAMES.indexOf(w) ? a.state : w),
    'RUL_LOW',
  );
  const group = Object.entries(c.group.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const fresh = c.firing.filter((a) => a.new);
  const open = c.firing.filter((a) => !a.new);
  if (c.kind === 'resolved') {
    lines.push(
      `${ICONS.resolved} ${s.bold(`Recovered: ${count(c.resolved.length)}`)}${group ? s.text(` · ${group}`) : ''}`,
    );
  } else {
    const icon = c.kind === 'repeat' ? ICONS.repeat : ICONS[worst];
    const title =
      c.kind === 'repeat'
        ? `Still open: ${count(c.firing.length)}`
        : worst === 'RUL_LOW'
          ? `RUL low: ${count(c.firing.length)}, ${PLAN_THE_REPAIR}`
          : `${worst}: ${count(c.firing.length)} firing`;
    const news = c.kind === 'alarm' ? `, ${fresh.length} new` : '';
    lines.push(`${icon} ${s.bold(title)}${s.text(`${news}${group ? ` · ${group}` : ''}`)}`);
  }
  const detailed = (c.kind === 'repeat' ? c.firing : fresh).slice(0, DETAILED_ALARMS);
  for (const a of detailed) lines.push(alarmLine(a, s));
  const shown = new Set(detailed.map((a) => a.id));
  const rest = c.firing.filter((a) => !shown.has(a.id));
  if (rest.length > 0) {
    const label = c.kind === 'repeat' || open.length === rest.length ? 'Still firing' : 'Also firing';
    lines.push(s.bold(`${label} (${rest.length}):`), ...idLines(rest, s, !('state' in c.group.labels)));
  }
  if (c.resolved.length > 0) {
    if (c.kind !== 'resolved') lines.push(s.bold(`${ICONS.resolved} Recovered (${c.resolved.length}):`));
    const detailedResolved = c.resolved.slice(0, DETAILED_ALARMS);
    for (const a of detailedResolved) lines.push(resolvedLine(a, s));
    if (c.resolved.length > detailedResolved.length)
      lines.push(...idLines(c.resolved.slice(DETAILED_ALARMS), s, !('state' in c.group.labels)));
  }
  lines.push(s.italic(`route ${c.route} · ${isoMinute(c.created_at)}`));
  return lines;
}

function alarmLine(a: AlarmView, s: Style): string {
  const e = a.alert.evidence;
  const p = a.state === 'RUL_LOW' ? undefined : e.probabilities[a.state];
  const facts = [
    a.state === 'RUL_LOW'
      ? `remaining useful life ${e.rul_h === undefined ? 'low' : rulText(e.rul_h)} — ${PLAN_THE_REPAIR} (${a.alert.state})`
      : `${a.alert.previous_state} → ${a.state}`,
    `vibration ${e.vibration_rms.toFixed(2)} mm/s (ISO zone ${e.iso_zone})`,
    `${e.temperature.toFixed(1)} °C`,
    ...(p === undefined ? [] : [`P(${a.state}) ${p.toFixed(2)}`]),
    `since ${isoMinute(a.starts_at)}`,
  ];
  const ack = a.acknowledged ? s.italic(` · acknowledged by ${a.acknowledged.by}`) : '';
  return `• ${s.bold(a.pump_id)} ${s.text(facts.join(' · '))}${ack}`;
}

function resolvedLine(a: AlarmView, s: Style): string {
  const minutes =
    a.ends_at === null ? undefined : Math.max(0, Math.round((a.ends_at - a.starts_at) / 60_000));
  return `• ${s.bold(a.pump_id)} ${s.text(`${alarmLabel(a.state)} → HEALTHY${minutes === undefined ? '' : ` after ${minutes} min`}`)}`;
}

/** Pump ids eight to a line; the state too where the group mixes states. */
function idLines(alarms: readonly AlarmView[], s: Style, withState: boolean): string[] {
  const lines: string[] = [];
  for (let i = 0; i < alarms.length; i += IDS_PER_LINE) {
    lines.push(
      s.text(
        alarms
          .slice(i, i + IDS_PER_LINE)
          .map(
            (a) =>
              `${a.pump_id}${withState ? ` (${alarmLabel(a.state)})` : ''}${a.acknowledged ? ` ✔ ${a.acknowledged.by}` : ''}`,
          )
          .join(', '),
      ),
    );
  }
  return lines;
}

/** Whole lines into parts of at most `maxChars`, each but the first headed "(continued i/n)". */
function splitLines(lines: readonly string[], maxChars: number, s: Style): string[] {
  const headerRoom = 32;
  const parts: string[][] = [[]];
  let size = 0;
  // Every line is far shorter than a part: pump ids are at most 64 characters, eight to a line.
  for (const line of lines) {
    const current = parts.at(-1) as string[];
    if (current.length > 0 && size + 1 + line.length > maxChars - headerRoom) {
      parts.push([line]);
      size = line.length;
    } else {
      current.push(line);
      size += (current.length > 1 ? 1 : 0) + line.length;
    }
  }
  if (parts.length === 1) return [parts[0]?.join('\n') ?? ''];
  return parts.map((p, i) =>
    (i === 0 ? p : [s.italic(`(continued ${i + 1}/${parts.length})`), ...p]).join('\n'),
  );
}

/** Hours as a planner reads them: "1234 h", "12.3 h", and below an hour "42 min". */
export function rulText(hours: number): string {
  if (hours >= 100) return `${Math.round(hours)} h`;
  if (hours >= 1) return `${hours.toFixed(1)} h`;
  return `${Math.max(0, Math.round(hours * 60))} min`;
}

function count(n: number): string {
  return `${n} pump${n === 1 ? '' : 's'}`;
}

function isoMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
