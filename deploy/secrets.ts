/**
 * The docker compose deployment's secrets: which there are, how they are made, and the files that hold them
 * (`.env` from `.env.example`, and Mosquitto's password file). Only node: built-ins, so that the script runs
 * with nothing installed but tsx (see docs/deploy-ec2.md).
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { access, chmod, copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The broker's users: one per service, a read-only viewer and the health check's. The names are fixed here,
 * in mosquitto/acl, in docker-compose.yml and (for the services' client ids) in mosquitto/conf.d/auth.conf;
 * each password lives in .env under `env`.
 */
export const MQTT_USERS = [
  { user: 'acquisition', env: 'MQTT_PASSWORD_ACQUISITION' },
  { user: 'inference', env: 'MQTT_PASSWORD_INFERENCE' },
  { user: 'production-simulator', env: 'MQTT_PASSWORD_PRODUCTION_SIMULATOR' },
  { user: 'training-simulator', env: 'MQTT_PASSWORD_TRAINING_SIMULATOR' },
  { user: 'notifier', env: 'MQTT_PASSWORD_NOTIFIER' },
  { user: 'viewer', env: 'MQTT_PASSWORD_VIEWER' },
  { user: 'healthcheck', env: 'MQTT_PASSWORD_HEALTHCHECK' },
] as const;

export type MqttUser = (typeof MQTT_USERS)[number]['user'];

/** Every variable of .env that setup-secrets fills in; .env.example leaves each one empty. */
export const SECRET_VARIABLES: readonly string[] = [
  ...MQTT_USERS.map((u) => u.env),
  'INFLUX_ADMIN_PASSWORD',
  'INFLUX_ADMIN_TOKEN',
  // the dashboard's login (HTTP Basic authentication), user DASHBOARD_USER
  'DASHBOARD_PASSWORD',
  // Grafana's admin login (docker compose --profile grafana), user admin
  'GRAFANA_ADMIN_PASSWORD',
  // the key of the notifier's webhook signatures; the receiving side gets the same value
  'WEBHOOK_SECRET',
];

/**
 * Secrets the user brings, which setup-secrets cannot make: the Telegram bot token from BotFather. They
 * are optional (the notifier runs without Telegram), so docker-compose.yml passes them as `${NAME:-}`,
 * and .env.example documents where each comes from.
 */
export const USER_SECRETS: readonly string[] = ['TELEGRAM_BOT_TOKEN'];

export const ENV_TEMPLATE = '.env.example';
export const ENV_FILE = '.env';
/** The previous .env, kept when --force replaces it: InfluxDB keeps the credentials it was set up with. */
export const ENV_BACKUP = '.env.bak';
export const PASSWORD_FILE = 'mosquitto/passwd';

/** mosquitto_passwd's default. The passwords are 256 random bits, so stretching adds nothing to them. */
export const PBKDF2_ITERATIONS = 101;
/** Mosquitto 2.0 refuses any other salt length (unpwd__decode_passwords). */
const SALT_BYTES = 12;
const HASH_BYTES = 64;

/** 32 random bytes as base64url: 43 characters that need no quoting in .env, YAML, a shell or a URL. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * One password in Mosquitto's PBKDF2-SHA512 format, `$7$<iterations>$<salt>$<hash>` (standard base64),
 * as mosquitto_passwd writes it.
 */
export function mosquittoPasswordHash(
  password: string,
  {
    salt = randomBytes(SALT_BYTES),
    iterations = PBKDF2_ITERATIONS,
  }: { salt?: Buffer; iterations?: number } = {},
): string {
  if (salt.length !== SALT_BYTES) throw new Error(`the salt must be ${SALT_BYTES} bytes`);
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** The password file: one `user:hash` line per user. */
export function passwordFile(entries: readonly { user: string; password: string }[]): string {
  return entries.map((e) => `${e.user}:${mosquittoPasswordHash(e.password)}\n`).join('');
}

/**
 * The template with every secret variable's empty `NAME=` line filled in. A secret missing from the
 * template, listed twice or given a value there is a mistake in the template, reported by name.
 */
export function fillTemplate(template: string, secrets: Readonly<Record<string, string>>): string {
  const seen = new Map<string, number>();
  const lines = template.split('\n').map((line) => {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    const name = match?.[1];
    if (name === undefined || !(name in secrets)) return line;
    seen.set(name, (seen.get(name) ?? 0) + 1);
    if ((match?.[2] ?? '').trim() !== '') {
      throw new Error(`${ENV_TEMPLATE} gives ${name} a value; secrets must be empty there`);
    }
    return `${name}=${secrets[name]}`;
  });
  for (const name of Object.keys(secrets)) {
    const count = seen.get(name) ?? 0;
    if (count !== 1) {
      throw new Error(`${ENV_TEMPLATE} must have one "${name}=" line, has ${count}`);
    }
  }
  return lines.join('\n');
}

/** The names of a .env file's variables that have a value (a line `NAME=value`, quotes around it or not). */
export function definedVariables(env: string): Set<string> {
  const defined = new Set<string>();
  for (const line of env.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    const value = (match?.[2] ?? '').replace(/^(["'])(.*)\1$/, '$2');
    if (match?.[1] !== undefined && value !== '') defined.add(match[1]);
  }
  return defined;
}

/**
 * An existing .env with the secrets it lacks added: an empty `NAME=` line is filled in where it is, any
 * other secret is appended with the comment that precedes it in the template. Every other line stays as it
 * was, so that values InfluxDB or the broker already hold are never replaced.
 */
export function addSecrets(env: string, template: string, secrets: Readonly<Record<string, string>>): string {
  const filled = new Set<string>();
  const lines = env.split('\n').map((line) => {
    const name = /^([A-Z0-9_]+)=\s*(?:""|'')?\s*$/.exec(line)?.[1];
    if (name === undefined || !(name in secrets) || filled.has(name)) return line;
    filled.add(name);
    return `${name}=${secrets[name]}`;
  });
  const templateLines = template.split('\n');
  const appended = Object.keys(secrets)
    .filter((name) => !filled.has(name))
    .flatMap((name) => [...templateComment(templateLines, name), `${name}=${secrets[name]}`]);
  if (appended.length === 0) return lines.join('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return [
    ...lines,
    '',
    `# added by pnpm setup-secrets (${ENV_TEMPLATE} has grown since this file was written)`,
    ...appended,
    '',
  ].join('\n');
}

/** The comment lines above a variable's line in the template, past the other variables of its group. */
function templateComment(lines: readonly string[], name: string): string[] {
  const at = lines.findIndex((line) => line.startsWith(`${name}=`));
  let first = at;
  while (first > 0 && /^[A-Z0-9_]+=/.test(lines[first - 1] ?? '')) first--;
  let top = first;
  while (top > 0 && (lines[top - 1] ?? '').startsWith('#')) top--;
  return at < 0 ? [] : lines.slice(top, first);
}

export type SetupResult =
  | { readonly kind: 'written'; readonly files: readonly string[]; readonly backup?: string }
  | { readonly kind: 'added'; readonly names: readonly string[]; readonly files: readonly string[] }
  | { readonly kind: 'exists'; readonly files: readonly string[] };

/**
 * Writes `.env` (from `.env.example`, every secret random and distinct) and `mosquitto/passwd` to match,
 * both mode 600. With `force`, both are replaced and the old `.env` is kept as `.env.bak`. Without it,
 * existing files keep every value they have: when both exist and `.env` lacks secrets that a newer
 * `.env.example` lists (the dashboard's password, after an update), those alone are added, to both files;
 * otherwise an existing `.env` or password file is left alone and reported.
 */
export async function setupSecrets(dir: string, { force = false } = {}): Promise<SetupResult> {
  const envPath = join(dir, ENV_FILE);
  const passwdPath = join(dir, PASSWORD_FILE);
  const existing = (
    await Promise.all([ENV_FILE, PASSWORD_FILE].map(async (f) => ((await exists(join(dir, f))) ? f : '')))
  ).filter((f) => f !== '');
  if (existing.length === 2 && !force) return addMissingSecrets(dir);
  if (existing.length > 0 && !force) return { kind: 'exists', files: existing };

  const secrets = Object.fromEntries(SECRET_VARIABLES.map((name) => [name, randomSecret()]));
  const env = fillTemplate(await readFile(join(dir, ENV_TEMPLATE), 'utf8'), secrets);
  const passwd = passwordFile(MQTT_USERS.map((u) => ({ user: u.user, password: secrets[u.env] as string })));

  let backup: string | undefined;
  if (existing.includes(ENV_FILE)) {
    await copyFile(envPath, join(dir, ENV_BACKUP));
    await chmod(join(dir, ENV_BACKUP), 0o600);
    backup = ENV_BACKUP;
  }
  await writePrivate(passwdPath, passwd);
  await writePrivate(envPath, env);
  return { kind: 'written', files: [ENV_FILE, PASSWORD_FILE], ...(backup ? { backup } : {}) };
}

/** The secrets an existing `.env` lacks, added to it (and the broker users' to the password file). */
async function addMissingSecrets(dir: string): Promise<SetupResult> {
  const envPath = join(dir, ENV_FILE);
  const passwdPath = join(dir, PASSWORD_FILE);
  const env = await readFile(envPath, 'utf8');
  const defined = definedVariables(env);
  const missing = SECRET_VARIABLES.filter((name) => !defined.has(name));
  if (missing.length === 0) return { kind: 'exists', files: [ENV_FILE, PASSWORD_FILE] };

  const secrets = Object.fromEntries(missing.map((name) => [name, randomSecret()]));
  const newUsers = MQTT_USERS.filter((u) => u.env in secrets);
  if (newUsers.length > 0) {
    // A user's old line, if any, goes: its password in .env was empty, so nothing could log in with it.
    const kept = (await readFile(passwdPath, 'utf8'))
      .split('\n')
      .filter((line) => line !== '' && !newUsers.some((u) => line.startsWith(`${u.user}:`)));
    const added = passwordFile(newUsers.map((u) => ({ user: u.user, password: secrets[u.env] as string })));
    await writePrivate(passwdPath, `${kept.map((line) => `${line}\n`).join('')}${added}`);
  }
  await writePrivate(envPath, addSecrets(env, await readFile(join(dir, ENV_TEMPLATE), 'utf8'), secrets));
  return {
    kind: 'added',
    names: missing,
    files: newUsers.length > 0 ? [ENV_FILE, PASSWORD_FILE] : [ENV_FILE],
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Written beside the target and renamed over it, so a reader never sees half a file; mode 600 whatever the umask. */
async function writePrivate(path: string, text: string): Promise<void> {
  // A name no other writer picks, without reaching for the process id: only setup-secrets.ts touches `process`.
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
