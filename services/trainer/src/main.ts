#!/usr/bin/env node
/** Entry point of `pnpm train`: the terminal, the report, exit codes. */
import { runProgram } from '@pdm/service-kit';
import { runTrainer } from './app.ts';
import { TrainerError } from './errors.ts';
import { crossCheck, options, program, withTaskDefaults } from './options.ts';
import { silentProgress, terminalProgress } from './progress.ts';

runProgram(
  program,
  options,
  async (config, { stderr }) => {
    // Progress is for a person watching; piped or redirected, stderr carries only errors.
    const progress = stderr.isTTY ? terminalProgress((text) => stderr.write(text)) : silentProgress;
    try {
      const run = await runTrainer(withTaskDefaults(config), { progress });
      console.log(run.text);
      return 0;
    } catch (err) {
      progress.done();
      if (err instanceof TrainerError)
        console.error(`${program.name}: ${err.message}\nNo model was written.`);
      else console.error(`${program.name}: unexpected failure, no model was written`, err);
      return 1;
    }
  },
  // Ctrl-C ends it at once: the model files are written atomically, and training may not yield to a
  // handler for a long while.
  { crossCheck, logTo: 'stderr', signals: 'default' },
);
