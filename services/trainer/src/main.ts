#!/usr/bin/env node
/** Entry point of `pnpm train`: flags, the terminal, exit codes. */
import { configOrExit, parseConfig } from '@pdm/service-kit';
import { runTrainer } from './app.ts';
import { TrainerError } from './errors.ts';
import { crossCheck, options, program } from './options.ts';
import { silentProgress, terminalProgress } from './progress.ts';

const config = configOrExit(
  parseConfig(program, options, { argv: process.argv.slice(2), env: {} }, crossCheck),
  program,
  { out: console.log, err: console.error, exit: process.exit },
);

// Progress is for a person watching; piped or redirected, stderr carries only errors.
const progress = process.stderr.isTTY
  ? terminalProgress((text) => process.stderr.write(text))
  : silentProgress;

try {
  const run = await runTrainer(config, { progress });
  console.log(run.text);
} catch (err) {
  progress.done();
  if (err instanceof TrainerError) {
    console.error(`${program.name}: ${err.message}\nNo model was written.`);
  } else {
    console.error(`${program.name}: unexpected failure, no model was written`, err);
  }
  process.exitCode = 1;
}
