/** `pnpm setup-secrets` as a user runs it, in a scratch copy of the repository's .env.example. */
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDotenv } from '@pdm/service-kit';
import { REPO_ROOT, startService } from '@pdm/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ENV_BACKUP,
  ENV_FILE,
  ENV_TEMPLATE,
  MQTT_USERS,
  PASSWORD_FILE,
  SECRET_VARIABLES,
} from './secrets.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pdm-setup-secrets-'));
  await cp(join(REPO_ROOT, ENV_TEMPLATE), join(dir, ENV_TEMPLATE));
  await mkdir(join(dir, 'mosquitto'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function setupSecrets(...args: string[]) {
  const run = startService('deploy/setup-secrets.ts', args, {}, { cwd: dir });
  return { code: await run.exited, stdout: run.stdout(), stderr: run.stderr() };
}

const mode = async (file: string) => (await stat(join(dir, file))).mode & 0o777;
const read = (file: string) => readFile(join(dir, file), 'utf8');

describe('pnpm setup-secrets', () => {
  it('writes .env from .env.example with every secret filled in, random and distinct', async () => {
    const { code } = await setupSecrets();
    expect(code).toBe(0);
    const env = readDotenv(join(dir, ENV_FILE));
    const values = SECRET_VARIABLES.map((name) => env[name] ?? '');
    for (const value of values) expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(values).size).toBe(SECRET_VARIABLES.length);
    // Everything else is the template, line for line.
    const template = (await read(ENV_TEMPLATE)).split('\n');
    const written = (await read(ENV_FILE)).split('\n');
    expect(written).toHaveLength(template.length);
    written.forEach((line, i) => {
      const name = line.split('=')[0] ?? '';
      if (!SECRET_VARIABLES.includes(name)) expect(line).toBe(template[i]);
    });
  });

  it('writes a Mosquitto password file with one PBKDF2-SHA512 entry per broker user', async () => {
    await setupSecrets();
    const lines = (await read(PASSWORD_FILE)).trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(MQTT_USERS.map((u) => u.user));
    for (const line of lines) {
      expect(line).toMatch(/^[a-z-]+:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    }
    // The broker accepting these passwords is checked in mosquitto-acl.integration.test.ts.
  });

  it('makes both files readable by their owner only', async () => {
    await setupSecrets();
    expect(await mode(ENV_FILE)).toBe(0o600);
    expect(await mode(PASSWORD_FILE)).toBe(0o600);
  });

  it('refuses to replace an existing .env or password file without --force', async () => {
    await setupSecrets();
    const before = [await read(ENV_FILE), await read(PASSWORD_FILE)];
    const again = await setupSecrets();
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/\.env and mosquitto\/passwd already exist.*--force/s);
    expect([await read(ENV_FILE), await read(PASSWORD_FILE)]).toEqual(before);

    await rm(join(dir, ENV_FILE));
    const passwdOnly = await setupSecrets();
    expect(passwdOnly.code).toBe(1);
    expect(passwdOnly.stderr).toContain('mosquitto/passwd already exists');
    expect(await read(PASSWORD_FILE)).toBe(before[1]);
  });

  it('with --force writes new secrets and keeps the previous .env as .env.bak', async () => {
    await setupSecrets();
    const first = await read(ENV_FILE);
    const firstPasswd = await read(PASSWORD_FILE);
    const { code, stdout } = await setupSecrets('--force');
    expect(code).toBe(0);
    expect(stdout).toContain(ENV_BACKUP);
    expect(await read(ENV_BACKUP)).toBe(first);
    expect(await mode(ENV_BACKUP)).toBe(0o600);
    const old = readDotenv(join(dir, ENV_BACKUP));
    const now = readDotenv(join(dir, ENV_FILE));
    for (const name of SECRET_VARIABLES) expect(now[name]).not.toBe(old[name]);
    expect(await read(PASSWORD_FILE)).not.toBe(firstPasswd);
  });

  it('adds the secrets that a .env from an older .env.example lacks, and keeps every value it has', async () => {
    await setupSecrets();
    const passwd = await read(PASSWORD_FILE);
    // An older .env: no dashboard password (nor its comment), and a setting of the user's own at its end.
    const older = (await read(ENV_FILE))
      .split('\n')
      .filter((line) => !/^DASHBOARD_PASSWORD=|^# Password of the dashboard/.test(line))
      .concat('PUMPS=7', '')
      .join('\n');
    await writeFile(join(dir, ENV_FILE), older, { mode: 0o600 });

    const { code, stdout } = await setupSecrets();
    expect(code).toBe(0);
    expect(stdout).toContain('Added DASHBOARD_PASSWORD to .env;');
    const now = await read(ENV_FILE);
    expect(now.startsWith(older.trimEnd())).toBe(true);
    expect(readDotenv(join(dir, ENV_FILE)).DASHBOARD_PASSWORD).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(now).toMatch(/^# Password of the dashboard's login.*\nDASHBOARD_PASSWORD=/m);
    expect(await read(PASSWORD_FILE)).toBe(passwd);
    expect(await mode(ENV_FILE)).toBe(0o600);

    // Run again: nothing left to add, so nothing is written.
    const again = await setupSecrets();
    expect(again.code).toBe(1);
    expect(await read(ENV_FILE)).toBe(now);
  });

  it('fills an empty secret where it stands, and gives a broker user that lacked one a password-file entry', async () => {
    await setupSecrets();
    const env = (await read(ENV_FILE)).replace(/^MQTT_PASSWORD_VIEWER=.*$/m, 'MQTT_PASSWORD_VIEWER=');
    await writeFile(join(dir, ENV_FILE), env, { mode: 0o600 });
    const passwd = (await read(PASSWORD_FILE)).split('\n').filter((l) => l !== '');
    await writeFile(join(dir, PASSWORD_FILE), passwd.filter((l) => !l.startsWith('viewer:')).join('\n'), {
      mode: 0o600,
    });

    const { code, stdout } = await setupSecrets();
    expect(code).toBe(0);
    expect(stdout).toContain('Added MQTT_PASSWORD_VIEWER to .env and mosquitto/passwd;');
    expect(stdout).toContain('--force-recreate mosquitto');
    const now = (await read(ENV_FILE)).split('\n');
    const before = env.split('\n');
    expect(now).toHaveLength(before.length);
    now.forEach((line, i) => {
      if (!line.startsWith('MQTT_PASSWORD_VIEWER=')) expect(line).toBe(before[i]);
    });
    expect(readDotenv(join(dir, ENV_FILE)).MQTT_PASSWORD_VIEWER).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const lines = (await read(PASSWORD_FILE)).trimEnd().split('\n');
    expect(lines.slice(0, -1)).toEqual(passwd.filter((l) => !l.startsWith('viewer:')));
    expect(lines.at(-1)).toMatch(/^viewer:\$7\$101\$/);
    expect(await mode(PASSWORD_FILE)).toBe(0o600);
  });

  it('exits with 2 on an unknown flag, writing nothing', async () => {
    const { code, stderr } = await setupSecrets('--frce');
    expect(code).toBe(2);
    expect(stderr).toContain('--frce');
    await expect(stat(join(dir, ENV_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
