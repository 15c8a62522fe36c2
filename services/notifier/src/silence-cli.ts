/** The options and output of `pnpm silence`, kept apart from its main.ts so that they can be tested. */
import { booleanOption, type ConfigOf, intOption, type OptionSpecs } from '@pdm/service-kit';
import { z } from 'zod';
import type { Silence } from './db.ts';

export const silenceProgram = {
  name: 'silence',
  summary:
    'Silences of the notifier, in its SQLite file (NOTIFIER_DB_PATH); a running notifier sees them at its next group flush.\n\n' +
    '  pnpm silence add --pattern "pump-000*" --duration 4h --comment "bearing swap" [--by alice]\n' +
    '  pnpm silence add --pattern pump-00042 --until 2026-05-01T06:00:00Z --comment "planned stop"\n' +
    '  pnpm silence list [--all] [--json]\n' +
    '  pnpm silence expire <id>',
};

export const silenceOptions = {
  command: {
    schema: z.enum(['add', 'list', 'expire'], { message: 'expected add, list or expire' }),
    flag: 'command',
    placeholder: 'CMD',
    help: 'add, list or expire; given as the first word',
  },
  pattern: {
    schema: z.string().optional(),
    flag: 'pattern',
    placeholder: 'P',
    help: 'add: pump ids to silence; * any characters, ? one',
  },
  duration: {
    schema: z.string().optional(),
    flag: 'duration',
    placeholder: 'D',
    help: 'add: for how long: 30m, 4h, 2d, 1h30m',
  },
  until: {
    schema: z.string().optional(),
    flag: 'until',
    placeholder: 'TIME',
    help: 'add: until when, ISO 8601 (instead of --duration)',
  },
  comment: {
    schema: z.string().optional(),
    flag: 'comment',
    placeholder: 'TEXT',
    help: 'add: why (required)',
  },
  by: { schema: z.string().min(1).default('cli'), flag: 'by', placeholder: 'NAME', help: 'add: who' },
  id: {
    schema: intOption(0, { min: 0 }).optional(),
    flag: 'id',
    placeholder: 'ID',
    help: 'expire: the silence (also the word after expire)',
  },
  all: { schema: booleanOption(false), flag: 'all', boolean: true, help: 'list: expired silences too' },
  json: { schema: booleanOption(false), flag: 'json', boolean: true, help: 'list: as JSON' },
  dbPath: {
    schema: z.string().min(1).default('data/notifier.sqlite'),
    flag: 'db-path',
    env: 'NOTIFIER_DB_PATH',
    placeholder: 'PATH',
    help: 'the notifier’s SQLite file',
  },
} as const satisfies OptionSpecs;

/** What a subcommand needs besides its own flags. */
export function silenceProblems(c: ConfigOf<typeof silenceOptions>): string[] {
  if (c.command === 'add')
    return [
      ...(c.pattern === undefined ? ['--pattern: required with add'] : []),
      ...(c.comment === undefined ? ['--comment: required with add: say why'] : []),
      ...((c.duration === undefined) === (c.until === undefined)
        ? ['--duration or --until: give one of them']
        : []),
    ];
  if (c.command === 'expire' && !c.id) return ['expire: which silence? pnpm silence expire <id>'];
  return [];
}

/** One line per silence. */
export function describeSilences(silences: readonly Silence[], now: number): string {
  return silences
    .map((s) => {
      const state = s.endsAt <= now ? 'expired' : s.startsAt > now ? 'pending' : 'active';
      return `${String(s.id).padStart(4)}  ${s.pattern.padEnd(16)}  until ${new Date(s.endsAt).toISOString()}  ${state.padEnd(7)}  by ${s.createdBy}: ${s.comment}`;
    })
    .join('\n');
}
