/**
 * A real Mosquitto with the deployed authentication (mosquitto/conf.d/auth.conf), for the deploy tests: the
 * password file and passwords that setup-secrets writes, the repository's ACL, and the broker plugin that
 * mosquitto/Dockerfile builds into the image, compiled here from the same source with the same flags.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { readDotenv } from '@pdm/service-kit';
import { type Mosquitto, REPO_ROOT, startMosquitto } from '@pdm/testkit';
import { ENV_FILE, MQTT_USERS, type MqttUser, PASSWORD_FILE, setupSecrets } from './secrets.ts';

/**
 * Each plugin auth.conf may load, by its path in the broker image, and how mosquitto/Dockerfile builds it:
 * `RUN gcc <flags> -o <library> <source>`, read from the Dockerfile so that the two cannot drift apart.
 */
async function pluginBuilds(): Promise<Map<string, { flags: string[]; source: string }>> {
  const dockerfile = await readFile(join(REPO_ROOT, 'mosquitto/Dockerfile'), 'utf8');
  const builds = new Map<string, { flags: string[]; source: string }>();
  for (const [, flags = '', library = '', source = ''] of dockerfile.matchAll(
    /^RUN gcc (.+) -o (\S+\.so) (\S+\.c)$/gm,
  )) {
    const name = library.replaceAll('.', '\\.');
    const installed = new RegExp(`^COPY --from=\\S+ \\S+/${name} (\\S+)$`, 'm').exec(dockerfile)?.[1];
    if (installed) builds.set(installed, { flags: flags.split(' '), source: join('mosquitto', source) });
  }
  return builds;
}

export interface DeployedBroker {
  readonly broker: Mosquitto;
  readonly passwords: Readonly<Record<MqttUser, string>>;
  stop(): Promise<void>;
}

/** Compiles a plugin as mosquitto/Dockerfile does, with the C compiler here (cc, or $CC), warnings as errors. */
async function compilePlugin(flags: readonly string[], source: string, out: string): Promise<void> {
  const cc = process.env.CC ?? 'cc';
  try {
    await promisify(execFile)(cc, [...flags, '-Werror', '-o', out, join(REPO_ROOT, source)]);
  } catch (err) {
    const { code, stderr } = err as { code?: unknown; stderr?: string };
    throw new Error(
      code === 'ENOENT'
        ? `${cc} not found: the deployed broker loads a plugin built from ${source}; install a C compiler (apt-get install gcc) or set CC`
        : `${cc} failed on ${source}: ${stderr ?? String(err)}`,
      { cause: err },
    );
  }
}

/** auth.conf as deployed, with its paths pointed at this test's files. */
async function deployedAuthConfig(dir: string): Promise<string[]> {
  const text = await readFile(join(REPO_ROOT, 'mosquitto/conf.d/auth.conf'), 'utf8');
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [directive, value = ''] = line.split(/\s+/, 2);
    if (directive === 'password_file') lines.push(`password_file ${join(dir, PASSWORD_FILE)}`);
    else if (directive === 'acl_file') lines.push(`acl_file ${join(REPO_ROOT, 'mosquitto/acl')}`);
    else if (directive === 'plugin') {
      const build = (await pluginBuilds()).get(value);
      if (build === undefined)
        throw new Error(`auth.conf loads ${value}, which mosquitto/Dockerfile does not build`);
      const library = join(dir, basename(value));
      await compilePlugin(build.flags, build.source, library);
      lines.push(`plugin ${library}`);
    } else lines.push(line);
  }
  // Started as root, Mosquitto drops to the `mosquitto` user before it reads the password file, and this
  // test's temporary folder is private; as any other user, the setting does nothing.
  return [...lines, `user ${userInfo().username}`];
}

export async function startDeployedBroker(): Promise<DeployedBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'pdm-deployed-broker-'));
  try {
    await cp(join(REPO_ROOT, '.env.example'), join(dir, '.env.example'));
    await mkdir(join(dir, 'mosquitto'));
    await setupSecrets(dir);
    const env = readDotenv(join(dir, ENV_FILE));
    const passwords = Object.fromEntries(MQTT_USERS.map((u) => [u.user, env[u.env] ?? ''])) as Record<
      MqttUser,
      string
    >;
    const broker = await startMosquitto({ config: await deployedAuthConfig(dir) });
    return {
      broker,
      passwords,
      async stop() {
        await broker.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
