#!/usr/bin/env node
/** `pnpm setup-secrets`: writes .env and mosquitto/passwd for the docker compose deployment. */
import { parseArgs } from 'node:util';
import {
  ENV_FILE,
  ENV_TEMPLATE,
  MQTT_USERS,
  PASSWORD_FILE,
  SECRET_VARIABLES,
  setupSecrets,
} from './secrets.ts';

const HELP = `Usage: pnpm setup-secrets [--force]

Writes ${ENV_FILE} from ${ENV_TEMPLATE} with a random value for each of ${SECRET_VARIABLES.join(', ')},
and ${PASSWORD_FILE} (Mosquitto's PBKDF2-SHA512 format) for the users ${MQTT_USERS.map((u) => u.user).join(', ')}.
Both files get mode 600. Run it in the repository root.

When both files exist, it keeps every value in them and adds only the secrets that ${ENV_FILE} lacks (an
update may bring new ones, such as the dashboard's password), to ${ENV_FILE} and, for a new broker user, to
${PASSWORD_FILE}; with nothing to add it writes nothing.

  --force   replace an existing ${ENV_FILE} and ${PASSWORD_FILE} with new secrets; the old ${ENV_FILE} is kept
            as .env.bak. InfluxDB keeps the admin password and token it was first set up with: on a running
            deployment, copy the INFLUX_ADMIN_* lines back from .env.bak (see docs/deploy-ec2.md).
  --help    show this help

Exit codes: 0 written or added; 1 a file exists with nothing to add (without --force), or a file could not
be written; 2 invalid flags.`;

let force: boolean;
try {
  const { values } = parseArgs({
    options: { force: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  force = values.force ?? false;
} catch (err) {
  console.error(`setup-secrets: ${(err as Error).message}\n\nRun with --help for usage.`);
  process.exit(2);
}

// No top-level await: the script also runs where no package.json says "type": "module" (docs/deploy-ec2.md).
setupSecrets(process.cwd(), { force }).then(
  (result) => {
    if (result.kind === 'exists') {
      console.error(
        `setup-secrets: ${result.files.join(' and ')} already exist${result.files.length === 1 ? 's' : ''}; nothing written.\n` +
          'Run with --force to replace them with new secrets (see --help first).',
      );
      process.exit(1);
    }
    if (result.kind === 'added') {
      console.log(
        [
          `Added ${result.names.join(', ')} to ${result.files.join(' and ')}; every other value is as it was.`,
          `Next: docker compose up -d --build${result.files.includes(PASSWORD_FILE) ? '   (and docker compose up -d --force-recreate mosquitto, which reads the password file when it starts)' : ''}`,
        ].join('\n'),
      );
      return;
    }
    console.log(
      [
        `Wrote ${result.files.join(' and ')} (mode 600)${result.backup ? `; the previous ${ENV_FILE} is in ${result.backup}` : ''}.`,
        'Next: docker compose up -d --build   (after --force on a running deployment: docker compose up -d --force-recreate)',
      ].join('\n'),
    );
  },
  (err: unknown) => {
    console.error(`setup-secrets: ${(err as Error).message}`);
    process.exit(1);
  },
);
