#!/usr/bin/env node
/** Entry point: flags and env, terminal or not, signals, exit codes. */
import { resolve } from 'node:path';
import { configOrExit, createLogger, EXIT_CONFIG, parseConfig, readDotenv } from '@pdm/service-kit';
import { createExport } from './app.ts';
import { ExportError } from './errors.ts';
import { options, program } from './options.ts';
import { logReporter, terminalReporter } from './report.ts';
import { openSource, resolveSettings } from './settings.ts';

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Problems, then the whole usage: a mistyped flag is best answered with the list of right ones. */
function exitInvalid(problems: readonly string[], usage: string): never {
  console.error(
    `${program.name}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}\n\n${usage}`,
  );
  return process.exit(EXIT_CONFIG);
}

const parsed = parseConfig(program, options, {
  argv: process.argv.slice(2),
  env: { ...readDotenv(resolve('.env')), ...process.env },
});
if (parsed.kind === 'invalid') exitInvalid(parsed.problems, parsed.usage);
const config = configOrExit(parsed, program, { out: console.log, err: console.error, exit: process.exit });
const resolution = resolveSettings(config, { cwd: process.cwd(), nowMs: Date.now() });
if (resolution.kind === 'invalid') {
  const help = parseConfig(program, options, { argv: ['--help'], env: {} });
  exitInvalid(resolution.problems, help.kind === 'help' ? help.text : '');
}
const { settings, source } = resolution;

// stdout carries the output path, for scripts; everything else goes to stderr.
const logger = createLogger({ name: program.name, level: config.logLevel, to: 'stderr' });
const exporter = createExport(settings, {
  openSource: () => openSource(source),
  reporter: process.stderr.isTTY ? terminalReporter(process.stderr) : logReporter(logger),
  logger,
  maxRssMb: () => Math.round(process.resourceUsage().maxRSS / 1024),
});

let stoppedBy: keyof typeof SIGNAL_EXIT | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // A second signal means the first did not stop it soon enough: leave at once.
    if (stoppedBy !== undefined) process.exit(SIGNAL_EXIT[signal]);
    stoppedBy = signal;
    logger.info({ signal }, 'stopping: removing the unfinished file');
    exporter.stop();
  });
}

let exitCode = 0;
try {
  const summary = await exporter.start();
  process.stdout.write(`${summary.out}\n`);
} catch (err) {
  if (err instanceof ExportError && err.code === 'aborted') {
    logger.info('export interrupted; nothing was written');
    exitCode = SIGNAL_EXIT[stoppedBy ?? 'SIGINT'];
  } else if (err instanceof ExportError) {
    logger.debug({ err: err.cause }, 'cause');
    logger.error({ code: err.code }, err.message);
    exitCode = 1;
  } else {
    logger.fatal({ err }, 'export failed');
    exitCode = 1;
  }
}
// The InfluxDB client's keep-alive sockets would hold the process open for a while.
process.exit(exitCode);
