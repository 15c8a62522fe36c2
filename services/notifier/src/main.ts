#!/usr/bin/env node
/**
 * Entry point: the config into the app's settings (receivers and routes from NOTIFIER_CONFIG or the
 * environment, every problem reported by name, exit 2); runService does flags, env, signals and exit
 * codes. `--test` runs once instead: a test message through every receiver.
 */
import { resolve } from 'node:path';
import { type ConfigOf, type MainContext, runProgram, runService } from '@pdm/service-kit';
import { createNotifier } from './app.ts';
import { systemClock } from './clock.ts';
import { configFromEnv, loadConfigFile, type NotifierConfig } from './config.ts';
import { options, program } from './options.ts';
import { describeResults, sendTestMessages } from './send-test.ts';

function notifierConfig(config: ConfigOf<typeof options>, context: MainContext): NotifierConfig {
  const defaults = {
    groupWaitMs: Math.round(config.groupWaitS * 1000),
    groupIntervalMs: Math.round(config.groupIntervalS * 1000),
    repeatIntervalMs: Math.round(config.repeatIntervalS * 1000),
    groupBy: config.groupBy === 'pump' ? (['pump_id'] as const) : (['state'] as const),
  };
  const result = config.configFile
    ? loadConfigFile(resolve(context.cwd, config.configFile), context.env, defaults)
    : configFromEnv({
        ...defaults,
        telegramBotToken: config.telegramBotToken,
        telegramChatId: config.telegramChatId,
        telegramApiUrl: config.telegramApiUrl,
        webhookUrl: config.webhookUrl,
        webhookSecret: config.webhookSecret,
        webhookFormat: config.webhookFormat,
        console: config.console,
      });
  return result.ok ? result.config : context.exitInvalid(result.problems);
}

if (process.argv.includes('--test')) {
  runProgram(program, options, async (config, context) => {
    const results = await sendTestMessages(
      notifierConfig(config, context),
      systemClock,
      context.logger,
      context.signal,
    );
    context.stdout.write(`${describeResults(results)}\n`);
    return results.every((r) => r.ok) ? 0 : 1;
  });
} else {
  runService(program, options, (config, context) =>
    createNotifier(
      {
        mqtt: { url: config.mqttUrl, username: config.mqttUsername, password: config.mqttPassword },
        clientId: config.clientId,
        dbPath: resolve(context.cwd, config.dbPath),
        httpPort: config.httpPort,
        httpHost: config.httpHost,
        config: notifierConfig(config, context),
      },
      context.logger,
    ),
  );
}
