#!/usr/bin/env node
/**
 * `pnpm silence add|list|expire`: silences in the notifier's SQLite file, also while the notifier runs
 * (it reads them at every group flush). The subcommand is the first word; runProgram does the rest.
 */
import { resolve } from 'node:path';
import { type ConfigSource, parseConfig, runProgram } from '@pdm/service-kit';
import { systemClock } from './clock.ts';
import { NotifierDb } from './db.ts';
import { describeSilences, silenceOptions, silenceProblems, silenceProgram } from './silence-cli.ts';
import { createSilence, problemsOf, silenceJson, silenceRequestSchema } from './silences.ts';

/** `add --pattern …` is `--command add --pattern …`, and `expire 3` is `--command expire --id 3`. */
function parse(source: ConfigSource) {
  const [command, ...rest] = source.argv[0] === '--' ? source.argv.slice(1) : source.argv;
  const argv =
    command === undefined || command.startsWith('-')
      ? source.argv
      : [
          '--command',
          command,
          ...(command === 'expire' && rest[0] && !rest[0].startsWith('-') ? ['--id', ...rest] : rest),
        ];
  return parseConfig(silenceProgram, silenceOptions, { ...source, argv }, silenceProblems);
}

runProgram(
  silenceProgram,
  silenceOptions,
  async (config, context) => {
    const db = new NotifierDb(resolve(context.cwd, config.dbPath));
    const now = systemClock.now();
    try {
      if (config.command === 'add') {
        const request = silenceRequestSchema.safeParse({
          pattern: config.pattern,
          ...(config.duration === undefined ? {} : { duration: config.duration }),
          ...(config.until === undefined ? {} : { ends_at: config.until }),
          comment: config.comment,
          created_by: config.by,
        });
        if (!request.success) return context.exitInvalid(problemsOf(request.error));
        const silence = createSilence(db, request.data, now);
        if ('problem' in silence) return context.exitInvalid([silence.problem]);
        context.stdout.write(`${describeSilences([silence], now)}\n`);
      } else if (config.command === 'list') {
        const silences = db.silences(now, { all: config.all });
        context.stdout.write(
          config.json
            ? `${JSON.stringify(silences.map((s) => silenceJson(s, now)))}\n`
            : `${silences.length === 0 ? 'no silences' : describeSilences(silences, now)}\n`,
        );
      } else if (!db.expireSilence(config.id as number, now)) {
        context.stderr.write(`silence: no active silence ${config.id}\n`);
        return 1;
      } else context.stdout.write(`silence ${config.id} expired\n`);
      return 0;
    } finally {
      db.close();
    }
  },
  { parse, logTo: 'stderr' },
);
