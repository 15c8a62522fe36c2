/** --since and --until: an ISO time, or an age such as `12h` counted back from the start of the run. */

/** A bound as the user wrote it: a fixed instant, or an age resolved against the run's start time. */
export type TimeBound =
  | { readonly kind: 'instant'; readonly ms: number }
  | { readonly kind: 'ago'; readonly ms: number };

/** Epoch milliseconds; since inclusive, until exclusive, either open when absent. */
export interface TimeRange {
  readonly sinceMs?: number | undefined;
  readonly untilMs?: number | undefined;
}

export const TIME_BOUND_HELP =
  'an ISO time (2026-01-01, 2026-01-01T06:00:00Z) or an age counted back from now (30m, 12h, 7d, 2w)';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const AGE = /^(\d+(?:\.\d+)?)([smhdw])$/;
// A time of day needs its zone: a bare local time would mean something else on every machine.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/i;

/** The bound, or undefined when the text is neither an ISO time nor an age. */
export function parseTimeBound(text: string): TimeBound | undefined {
  const trimmed = text.trim();
  const age = AGE.exec(trimmed);
  if (age) return { kind: 'ago', ms: Number(age[1]) * (UNIT_MS[age[2] as string] as number) };
  const iso = ISO.exec(trimmed);
  if (!iso) return undefined;
  // Date.parse rolls 2026-02-30 over to March 2; a date that does not exist is a typo, not a time.
  const [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  const ms = Date.parse(trimmed.toUpperCase());
  return Number.isNaN(ms) ? undefined : { kind: 'instant', ms };
}

export function resolveTimeBound(bound: TimeBound, nowMs: number): number {
  return bound.kind === 'instant' ? bound.ms : nowMs - bound.ms;
}

/** The range in words for messages, e.g. `from 2026-01-01T00:00:00.000Z to 2026-01-02T00:00:00.000Z`. */
export function describeRange({ sinceMs, untilMs }: TimeRange): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  if (sinceMs === undefined && untilMs === undefined) return 'at any time';
  if (untilMs === undefined) return `from ${iso(sinceMs as number)} on`;
  if (sinceMs === undefined) return `before ${iso(untilMs)}`;
  return `from ${iso(sinceMs)} to ${iso(untilMs)}`;
}
