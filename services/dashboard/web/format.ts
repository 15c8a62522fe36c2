/** How the page writes times, durations and numbers: in the browser's locale and time zone. */

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** A wall-clock time, with the date when it is not today. */
export function formatTime(ms: number, now: number = Date.now()): string {
  if (!Number.isFinite(ms)) return '—';
  const sameDay = new Date(ms).toDateString() === new Date(now).toDateString();
  return sameDay ? timeFormat.format(ms) : dateTimeFormat.format(ms);
}

export function formatDateTime(ms: number): string {
  return Number.isFinite(ms) ? dateTimeFormat.format(ms) : '—';
}

/** "3 s ago", "5 min ago", "2 h ago", "4 d ago". */
export function formatAgo(ms: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** A duration in ms as "1.2 s", "15 min", "24 h", "7 d". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

export function formatNumber(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return x.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * A remaining useful life in hours with its unit: "1,234 h", "12.3 h", and below an hour in minutes,
 * "42 min", as a planner reads it. `approximate` for a value known to two significant digits only (the
 * fleet's deltas): "12 h", "4.5 h", rather than digits it does not have.
 */
export function formatRul(hours: number | null | undefined, approximate = false): string {
  if (hours === null || hours === undefined || !Number.isFinite(hours)) return '—';
  if (approximate && hours >= 1)
    return `${hours.toLocaleString(undefined, { maximumSignificantDigits: 2 })} h`;
  if (hours >= 100) return `${formatNumber(hours)} h`;
  if (hours >= 1) return `${formatNumber(hours, 1)} h`;
  const minutes = hours * 60;
  return minutes >= 1 ? `${Math.round(minutes)} min` : '< 1 min';
}

/** A probability 0–1 as a percentage. */
export function formatPercent(p: number | null | undefined, digits = 0): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  return `${(p * 100).toFixed(digits)} %`;
}

/** The value of a `<input type="datetime-local">` for an epoch ms, in local time. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Epoch ms of a `<input type="datetime-local">` value (local time), or undefined when empty or invalid. */
export function fromLocalInput(value: string): number | undefined {
  if (value === '') return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}
