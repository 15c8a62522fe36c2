/**
 * Silences: a pump id pattern, an end time and a comment, stored in SQLite. What the CLI
 * (`pnpm silence add|list|expire`) and the HTTP API (`/api/silences`) both take and show.
 */
import { z } from 'zod';
import type { NotifierDb, Silence } from './db.ts';
import { PUMP_PATTERN } from './pattern.ts';

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `4h`, `2d`, or combined, `1h30m`, in ms; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)([smhd])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return undefined;
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
}

/** A new silence: either `duration` (`4h`) or `ends_at` (ISO 8601), from now on. */
export const silenceRequestSchema = z
  .object({
    pattern: z.string().regex(PUMP_PATTERN, 'a pump id pattern: letters, digits, "_", "-", ".", "*" and "?"'),
    duration: z
      .string()
      .refine((d) => (parseDuration(d) ?? 0) > 0, 'a duration such as 30m, 4h, 2d or 1h30m')
      .optional(),
    ends_at: z.iso
      .datetime({ offset: true, message: 'an ISO 8601 time, e.g. 2026-05-01T06:00:00Z' })
      .optional(),
    comment: z.string().trim().min(1, 'say why').max(500),
    created_by: z.string().trim().min(1).max(100).default('api'),
  })
  .strict()
  .refine((r) => (r.duration === undefined) !== (r.ends_at === undefined), {
    message: 'give either duration or ends_at',
    path: ['duration'],
  });
export type SilenceRequest = z.infer<typeof silenceRequestSchema>;

/** Stores a silence; its end must be in the future. */
export function createSilence(
  db: NotifierDb,
  request: SilenceRequest,
  now: number,
): Silence | { problem: string } {
  const endsAt =
    request.ends_at === undefined
      ? now + (parseDuration(request.duration ?? '') ?? 0)
      : Date.parse(request.ends_at);
  if (endsAt <= now) return { problem: 'ends_at: must be in the future' };
  return db.addSilence({
    pattern: request.pattern,
    startsAt: now,
    endsAt,
    comment: request.comment,
    createdBy: request.created_by,
    createdAt: now,
  });
}

/** A silence as the API shows it. */
export function silenceJson(s: Silence, now: number): Record<string, unknown> {
  return {
    id: s.id,
    pattern: s.pattern,
    starts_at: new Date(s.startsAt).toISOString(),
    ends_at: new Date(s.endsAt).toISOString(),
    active: s.startsAt <= now && s.endsAt > now,
    comment: s.comment,
    created_by: s.createdBy,
    created_at: new Date(s.createdAt).toISOString(),
  };
}

/** Problems of a zod error, one line each, by field. */
export function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}
