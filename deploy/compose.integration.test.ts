/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: compose's own validation (when a
 * compose binary is installed), and what the deployment promises about secrets, image versions, health
 * checks and MQTT users.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDotenv } from '@pdm/service-kit';
import { REPO_ROOT } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';
import { environmentOf, profilesOf, serviceBlocks, volumesOf } from './compose-file.ts';
import { ENV_TEMPLATE, MQTT_USERS, SECRET_VARIABLES, USER_SECRETS } from './secrets.ts';

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const compose = readFileSync(COMPOSE_FILE, 'utf8');
const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');

/** `docker compose up -d` starts these; the others wait for `docker compose run`. */
const LONG_RUNNING = [
  'mosquitto',
  'influxdb',
  'acquisition',
  'inference',
  'production-simulator',
  'notifier',
  'dashboard',
];
const ON_DEMAND = ['training-simulator', 'export-training-data', 'train', 'tail-predictions'];
/** Long-running services that start only with their profile: `docker compose --profile grafana up -d`. */
const OPTIONAL: Record<string, string> = { grafana: 'grafana' };
/** Long-running services with no health check, and why. */
const NO_HEALTH_CHECK: Record<string, string> = {
  'production-simulator': 'serves no HTTP port; its retained MQTT status says whether it runs',
};

/** The compose command here: Debian's docker-compose, else the Docker CLI plugin, else none. */
function findCompose(): readonly string[] | undefined {
  const candidates: (readonly string[])[] = [['docker-compose'], ['docker', 'compose']];
  return candidates.find((cmd) => {
    const [bin, ...args] = cmd as [string, ...string[]];
    return spawnSync(bin, [...args, 'version'], { stdio: 'ignore' }).status === 0;
  });
}

const composeCommand = findCompose();
const dummySecrets = Object.fromEntries(
  SECRET_VARIABLES.map((name) => [name, `dummy-${name.toLowerCase()}`]),
);

/** Runs compose against .env.example, in an environment holding only PATH and `env`. */
function runCompose(args: readonly string[], env: Record<string, string>) {
  const [bin, ...pre] = composeCommand as [string, ...string[]];
  const result = spawnSync(
    bin,
    [
      ...pre,
      '--project-directory',
      REPO_ROOT,
      '-f',
      COMPOSE_FILE,
      '--env-file',
      join(REPO_ROOT, ENV_TEMPLATE),
      ...args,
    ],
    { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(composeCommand === undefined)(
  `docker compose with the variables of .env.example${composeCommand ? '' : ' (skipped: neither docker-compose nor the docker compose plugin is installed)'}`,
  () => {
    it('validates, once the secrets have values', () => {
      const result = runCompose(['config', '-q'], dummySecrets);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    it.each(SECRET_VARIABLES)('refuses to start without %s, naming it', (name) => {
      const { [name]: _missing, ...rest } = dummySecrets;
      const result = runCompose(['config', '-q'], rest);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(name);
      expect(result.stderr).toContain('run pnpm setup-secrets');
    });

    it('starts the long-running services by default and the others only on demand', () => {
      // Services with a profile start only when it is enabled, or when `docker compose run` names them.
      const resolved = serviceBlocks(runCompose(['config'], dummySecrets).stdout);
      const profiles = (name: string) =>
        /^ {4}profiles:\n((?: {4}- .*\n?)+)/m.exec(resolved.get(name) ?? '')?.[1];
      expect([...resolved.keys()].sort()).toEqual(
        [...LONG_RUNNING, ...ON_DEMAND, ...Object.keys(OPTIONAL)].sort(),
      );
      for (const [name, profile] of Object.entries(OPTIONAL)) {
        expect(profilesOf(resolved.get(name) ?? ''), name).toEqual([profile]);
      }
      for (const name of LONG_RUNNING) expect(profiles(name), name).toBeUndefined();
      expect(profiles('training-simulator')).toMatch(/- training/);
      for (const name of ON_DEMAND.filter((n) => n !== 'training-simulator')) {
        expect(profiles(name), name).toMatch(/- tools/);
      }
    });

    it('gives every long-running service a restart policy, rotated logs and a health check', () => {
      const resolved = serviceBlocks(runCompose(['config'], dummySecrets).stdout);
      for (const name of [...LONG_RUNNING, ...Object.keys(OPTIONAL)]) {
        const block = resolved.get(name) ?? '';
        expect(block, name).toMatch(/^ {4}restart: unless-stopped$/m);
        expect(block, name).toMatch(/driver: json-file/);
        expect(block, name).toMatch(/max-size: /);
        expect(block, name).toMatch(/max-file: /);
        if (!(name in NO_HEALTH_CHECK)) expect(block, name).toMatch(/^ {4}healthcheck:$/m);
      }
    });

    describe('Grafana', () => {
      const resolved = () =>
        serviceBlocks(runCompose(['--profile', 'grafana', 'config'], dummySecrets).stdout);

      it('validates with the grafana profile, and refuses to start without GRAFANA_ADMIN_PASSWORD', () => {
        const ok = runCompose(['--profile', 'grafana', 'config', '-q'], dummySecrets);
        expect(ok.stderr).toBe('');
        expect(ok.status).toBe(0);
        const { GRAFANA_ADMIN_PASSWORD: _missing, ...rest } = dummySecrets;
        const refused = runCompose(['--profile', 'grafana', 'config', '-q'], rest);
        expect(refused.status).not.toBe(0);
        expect(refused.stderr).toContain('GRAFANA_ADMIN_PASSWORD');
      });

      it('logs the admin in with the password setup-secrets made, and nobody without a login', () => {
        const env = environmentOf(resolved().get('grafana') ?? '');
        expect(env.get('GF_SECURITY_ADMIN_USER')).toBe('admin');
        expect(env.get('GF_SECURITY_ADMIN_PASSWORD')).toBe(dummySecrets.GRAFANA_ADMIN_PASSWORD);
        expect(env.get('GF_AUTH_ANONYMOUS_ENABLED')).toBe('false');
        expect(env.get('GF_USERS_ALLOW_SIGN_UP')).toBe('false');
      });

      it('is published on the host’s loopback only, checked on /api/health, its state in a named volume', () => {
        const block = resolved().get('grafana') ?? '';
        expect(block).toMatch(/^ {4}- 127\.0\.0\.1:3000:3000\/tcp$/m);
        expect(block).toMatch(/^ {6}- http:\/\/127\.0\.0\.1:3000\/api\/health$/m);
        const volumes = volumesOf(block);
        expect(volumes).toContain('grafana-data:/var/lib/grafana:rw');
        expect(volumes).toContain(
          `${join(REPO_ROOT, 'deploy/grafana/provisioning')}:/etc/grafana/provisioning:ro`,
        );
        expect(volumes).toContain(
          `${join(REPO_ROOT, 'deploy/grafana/dashboards')}:/etc/grafana/dashboards:ro`,
        );
      });

      it('gives its data source the InfluxDB acquisition writes to, by the variables the provisioning file names', () => {
        const blocks = resolved();
        const grafana = environmentOf(blocks.get('grafana') ?? '');
        const acquisition = environmentOf(blocks.get('acquisition') ?? '');
        for (const name of ['INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET']) {
          expect(grafana.get(name), name).toBe(acquisition.get(name));
        }
      });
    });

    describe('the dashboard', () => {
      const resolved = () => serviceBlocks(runCompose(['config'], dummySecrets).stdout);

      it('listens on every interface of its container, published on the host’s loopback only, behind a login', () => {
        const blocks = resolved();
        const dashboard = blocks.get('dashboard') ?? '';
        const env = environmentOf(dashboard);
        expect(env.get('HTTP_HOST')).toBe('0.0.0.0');
        expect(dashboard).toMatch(
          new RegExp(`^ {4}- 127\\.0\\.0\\.1:8080:${env.get('HTTP_PORT')}/tcp$`, 'm'),
        );
        expect(env.get('DASHBOARD_USER')).toBe('admin');
        expect(env.get('DASHBOARD_PASSWORD')).toBe(dummySecrets.DASHBOARD_PASSWORD);
      });

      it('reads the store acquisition writes: the same InfluxDB bucket, or its SQLite file in its volume', () => {
        const blocks = resolved();
        const dashboard = environmentOf(blocks.get('dashboard') ?? '');
        const acquisition = environmentOf(blocks.get('acquisition') ?? '');
        for (const name of ['STORE', 'INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET']) {
          expect(dashboard.get(name), name).toBe(acquisition.get(name));
        }
        // acquisition's default SQLITE_PATH, data/pdm.sqlite, in the volume both mount at /app/data
        expect(dashboard.get('SQLITE_PATH')).toBe(acquisition.get('SQLITE_PATH') ?? 'data/pdm.sqlite');
        expect(volumesOf(blocks.get('acquisition') ?? '')).toContain('acquisition-data:/app/data:rw');
        // read-write, so that SQLite can map the WAL index beside acquisition (docker-compose.yml says why)
        expect(volumesOf(blocks.get('dashboard') ?? '')).toContain('acquisition-data:/app/data:rw');
      });

      it('reads the report of the model inference serves, from the same folder, read-only', () => {
        const blocks = resolved();
        const models = (name: string) =>
          volumesOf(blocks.get(name) ?? '').find((v) => v.endsWith(':/app/models:ro'));
        expect(models('dashboard')).toBeDefined();
        expect(models('dashboard')).toBe(models('inference'));
        expect(environmentOf(blocks.get('dashboard') ?? '').get('MODEL_PATH')).toBe(
          environmentOf(blocks.get('inference') ?? '').get('MODEL_PATH'),
        );
      });

      it('finds every other service’s /metrics by its compose name and HTTP_PORT', () => {
        const blocks = resolved();
        const pairs = (environmentOf(blocks.get('dashboard') ?? '').get('METRICS_URLS') ?? '').split(',');
        const serving = LONG_RUNNING.filter(
          (name) => name !== 'dashboard' && environmentOf(blocks.get(name) ?? '').has('HTTP_PORT'),
        );
        expect(serving.length).toBeGreaterThan(1);
        expect(pairs.map((p) => p.split('=')[0]).sort()).toEqual(serving.sort());
        for (const pair of pairs) {
          const [name, url] = pair.split('=') as [string, string];
          const { hostname, port, pathname } = new URL(url);
          expect(hostname, name).toBe(name);
          expect(port, name).toBe(environmentOf(blocks.get(name) ?? '').get('HTTP_PORT'));
          expect(pathname, name).toBe('/metrics');
        }
      });
    });
  },
);

describe('docker-compose.yml', () => {
  const services = serviceBlocks(compose);
  const withoutComments = compose
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');

  it('holds no literal secret: every password and token is a required variable from .env, or one the user brings', () => {
    const secretLines = compose
      .split('\n')
      .filter((line) => /^\s+[A-Z0-9_]*(PASSWORD|TOKEN|SECRET)[A-Z0-9_]*:/.test(line));
    expect(secretLines.length).toBeGreaterThan(0);
    for (const line of secretLines) {
      const brought = USER_SECRETS.find((name) => line.trim().startsWith(`${name}:`));
      // A secret the user brings (the Telegram bot token) is optional: empty, the feature is off.
      if (brought) expect(line).toMatch(new RegExp(`:\\s\\$\\{${brought}:-\\}$`));
      else expect(line).toMatch(/:\s\$\{[A-Z0-9_]+:\?[^}]+\}$/);
    }
  });

  it('documents each secret the user brings in .env.example, empty', () => {
    const example = readDotenv(join(REPO_ROOT, ENV_TEMPLATE));
    for (const name of USER_SECRETS) expect(example[name], name).toBe('');
  });

  it('requires exactly the secrets that setup-secrets writes', () => {
    const required = new Set([...withoutComments.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]));
    expect([...required].sort()).toEqual([...SECRET_VARIABLES].sort());
    // Nowhere with a fallback that would start the stack without them.
    for (const name of SECRET_VARIABLES)
      expect(withoutComments).not.toMatch(new RegExp(`\\$\\{${name}(:?-|\\})`));
  });

  it('leaves every secret empty in .env.example', () => {
    const example = readDotenv(join(REPO_ROOT, ENV_TEMPLATE));
    for (const name of SECRET_VARIABLES) expect(example[name], name).toBe('');
  });

  it('pins every image it pulls to an exact version', () => {
    const pulled = [...services].filter(([, block]) => !/^ {4}build:/m.test(block));
    // The broker is eclipse-mosquitto with a plugin, built from mosquitto/Dockerfile (checked below).
    expect(pulled.map(([name]) => name).sort()).toEqual(['grafana', 'influxdb']);
    for (const [name, block] of pulled) {
      expect(/^ {4}image: (\S+)$/m.exec(block)?.[1], name).toMatch(/^[a-z0-9./-]+:\d+\.\d+\.\d+$/);
    }
  });

  it('connects each service as its own MQTT user, with that user’s password', () => {
    const users = [...services].flatMap(([name, block]) => {
      const user = /^ {6}MQTT_USERNAME: (\S+)$/m.exec(block)?.[1];
      const password = /^ {6}MQTT_PASSWORD: \$\{([A-Z0-9_]+):\?/m.exec(block)?.[1];
      return user === undefined ? [] : [{ name, user, password }];
    });
    const services_ = users.filter((u) => u.user !== 'viewer');
    expect(new Set(services_.map((u) => u.user)).size).toBe(services_.length);
    for (const { name, user, password } of users) {
      const known = MQTT_USERS.find((u) => u.user === user);
      expect(known, `${name} connects as ${user}`).toBeDefined();
      expect(password, name).toBe(known?.env);
    }
    for (const { name, user } of services_) expect(user, name).toBe(name);
  });

  it('publishes every port on PUBLISH_ADDRESS, 127.0.0.1 unless .env says otherwise', () => {
    const published = [...withoutComments.matchAll(/^ {4}ports:\n((?: {6}- .*\n?)+)/gm)].flatMap((m) =>
      (m[1] as string).trimEnd().split('\n'),
    );
    expect(published.length).toBeGreaterThan(0);
    for (const line of published)
      expect(line).toMatch(/^ {6}- "\$\{PUBLISH_ADDRESS:-127\.0\.0\.1\}:\d+:\d+"$/);
  });

  it('waits for a healthy broker before starting anything that connects to it', () => {
    for (const [name, block] of services) {
      if (!/MQTT_URL:/.test(block)) continue;
      expect(block, name).toMatch(/^ {6}mosquitto: \{ condition: service_healthy \}$/m);
    }
  });
});

describe('Dockerfile', () => {
  const args = Object.fromEntries(
    [...dockerfile.matchAll(/^ARG ([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );

  it('pins every base image to an exact version', () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1] as string);
    expect(froms.length).toBeGreaterThan(1);
    for (const from of froms) {
      const image = from.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => args[name] ?? `<unset ${name}>`);
      expect(image).toMatch(/^[a-z0-9./-]+:\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/);
    }
  });

  it('installs the pnpm that package.json pins', () => {
    const { packageManager } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      packageManager: string;
    };
    expect(`pnpm@${args.PNPM_VERSION}`).toBe(packageManager);
  });
});

describe('mosquitto/Dockerfile', () => {
  const text = readFileSync(join(REPO_ROOT, 'mosquitto/Dockerfile'), 'utf8');

  it('is what compose builds the broker from, with the mosquitto folder as the build context', () => {
    expect(serviceBlocks(compose).get('mosquitto')).toMatch(/^ {4}build:\n {6}context: mosquitto$/m);
  });

  it('builds on eclipse-mosquitto, pinned to an exact version', () => {
    const args = Object.fromEntries(
      [...text.matchAll(/^ARG ([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]),
    );
    const froms = [...text.matchAll(/^FROM (\S+)/gm)].map((m) =>
      (m[1] as string).replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => args[name] ?? `<unset ${name}>`),
    );
    expect(froms.length).toBeGreaterThan(0);
    for (const image of froms) expect(image).toMatch(/^eclipse-mosquitto:\d+\.\d+\.\d+$/);
  });

  it('sends the plugin’s source to the build, and never the password file beside it', () => {
    const rules = readFileSync(join(REPO_ROOT, 'mosquitto/.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(rules[0]).toBe('*');
    for (const rule of rules.slice(1)) expect(rule).toMatch(/^![\w.-]+\.c$/);
  });
});
