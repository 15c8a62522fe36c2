#!/usr/bin/env node
/** Entry point: settings resolved against the run, the terminal or not, what a stop and a failure exit with. */
import { runProgram, SIGNAL_EXIT_CODES, type StopSignal } from '@pdm/service-kit';
import { createExport } from './app.ts';
import { ExportError } from './errors.ts';
import { options, program } from './options.ts';
import { logReporter, terminalReporter } from './report.ts';
import { openSource, resolveSettings } from './settings.ts';

runProgram(
  program,
  options,
  async (config, { logger, signal, stdin, stdout, stderr, cwd, exitInvalid }) => {
    const resolution = resolveSettings(config, { cwd, nowMs: Date.now() });
    if (resolution.kind === 'invalid') return exitInvalid(resolution.problems);
    const exporter = createExport(resolution.settings, {
      openSource: () => openSource(resolution.source, stdin),
      reporter: stderr.isTTY ? terminalReporter(stderr) : logReporter(logger),
      logger,
      maxRssMb: () => Math.round(process.resourceUsage().maxRSS / 1024),
    });
    signal.addEventListener('abort', () => {
      logger.info({ signal: signal.reason }, 'stopping: removing the unfinished file');
      exporter.stop();
    });
    try {
      const summary = await exporter.start();
      stdout.write(`${summary.out}\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof ExportError)) throw err;
      if (err.code === 'aborted') {
        logger.info('export interrupted; nothing was written');
        return SIGNAL_EXIT_CODES[(signal.reason as StopSignal | undefined) ?? 'SIGINT'];
      }
      logger.debug({ err: err.cause }, 'cause');
      logger.error({ code: err.code }, err.message);
      return 1;
    }
  },
  // stdout carries the output path, for scripts; everything else goes to stderr. A mistyped flag is
  // best answered with the list of right ones.
  { logTo: 'stderr', usageOnError: true },
);
