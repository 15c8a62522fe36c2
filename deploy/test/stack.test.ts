/**
 * The docker compose deployment, run for real: the project's Dockerfiles and docker-compose.yml, unchanged,
 * built and started with docker-compose on Podman, as a user would on an EC2 host. `pnpm test:deploy`.
 *
 * Only the base images are stand-ins (stand-ins.ts): no container registry can be reached here. The test
 * works in a copy of the repository under a compose project name of its own, publishes the ports on a
 * loopback address of its own, and removes every container, volume, network and image it made, also when
 * it fails. Every command's output goes to a log file whose path it prints.
 */
import { randomBytes } from 'node:crypto';
import { chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OUTBOX_CURSOR_KEYS } from '@pdm/store';
import { REPO_ROOT } from '@pdm/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serviceBlocks } from '../compose-file.ts';
import { Compose } from './compose.ts';
import {
  type HealthChecks,
  healthOf,
  type Inspected,
  inspect,
  type PodmanService,
  projectContainers,
  pruneStaleBuildCache,
  runHealthChecks,
  startPodmanService,
  whyNoEngine,
} from './engine.ts';
import { run, tail } from './exec.ts';
import { prepareBaseImages } from './stand-ins.ts';

const MINUTE = 60_000;
const composeServices = serviceBlocks(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'));
/** `docker compose up -d` starts these, the services without a profile; production-simulator has no health check (no HTTP port). */
const LONG_RUNNING = [...composeServices]
  .filter(([, block]) => !/^ {4}profiles:/m.test(block))
  .map(([name]) => name);
/** the images docker-compose.yml builds (every service but influxdb, which is pulled) */
const IMAGES_BUILT = [...composeServices.values()].filter((block) => /^ {4}build:/m.test(block)).length;
/** `down` for the whole project, profiles included: containers, networks, volumes and the images it built. */
const DOWN_EVERYTHING = [
  '--profile',
  'training',
  '--profile',
  'tools',
  'down',
  '--volumes',
  '--rmi',
  'local',
  '--remove-orphans',
];
/** stop_grace_period in docker-compose.yml */
const GRACE_MS = 30_000;
/** A small, fast fleet: about 9,000 labelled samples in a second or two. */
const TRAINING_RUN = ['--pumps', '30', '--mode', 'stress', '--lifecycles', '2', '--chaos'];
/** Samples queued for acquisition while it is away: other pumps, and device times after the training set's. */
const QUEUED_RUN = ['--pumps', '3', '--mode', 'stress', '--seed', '7', '--start', '2027-01-01T00:00:00Z'];
const EXPORT = ['--out', 'data/training.csv', '--until', '2027-01-01T00:00:00Z'];

const whyNot = await whyNoEngine();
if (whyNot) console.log(`deploy test skipped: ${whyNot}`);

const log = (text: string) => console.log(`deploy test: ${text}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) =>
  bytes < 1e6 ? `${Math.round(bytes / 1e3)} kB` : `${Math.round(bytes / 1e6)} MB`;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds(timeoutMs)} waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The repository as a fresh clone has it, owned by root: tracked and new files, none that git ignores. */
async function copyCheckout(into: string): Promise<void> {
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
  });
  for (const file of new Set(listed.stdout.split('\0'))) {
    const from = join(REPO_ROOT, file);
    if (file === '' || !existsSync(from) || !statSync(from).isFile()) continue;
    mkdirSync(dirname(join(into, file)), { recursive: true });
    copyFileSync(from, join(into, file));
  }
}

describe.skipIf(whyNot !== undefined)(
  `docker compose on Podman, with stand-in base images${whyNot ? ` (skipped: ${whyNot})` : ''}`,
  () => {
    let work: string;
    let logFile: string;
    let dir: string;
    let service: PodmanService | undefined;
    let health: HealthChecks | undefined;
    let compose: Compose;
    let project: string;
    let publish: string;
    /** a step failed: the later ones are skipped rather than run against a broken stack */
    let broken = false;
    const runStart = Date.now();
    /** what docker-compose build printed: the layers it made or took from the cache */
    let buildOutput = '';
    const summary: string[] = [];
    const note = (line: string) => {
      summary.push(line);
      log(line);
    };

    const url = (port: number, path: string) => `http://${publish}:${port}${path}`;
    const healthz = async (port: number) =>
      (await fetch(url(port, '/healthz'))).json() as Promise<Record<string, unknown>>;
    const volume = async (name: string) =>
      (
        await run('podman', ['volume', 'inspect', '--format', '{{.Mountpoint}}', `${project}_${name}`])
      ).stdout.trim();
    const containerOf = async (name: string) => {
      const all = await inspect(await projectContainers(project));
      return all.find(
        (c) =>
          c.Config.Labels?.['com.docker.compose.service'] === name &&
          c.Config.Labels?.['com.docker.compose.oneoff'] !== 'True',
      );
    };
    /** Waits until every long-running service is healthy (production-simulator: running); ms per service. */
    const untilHealthy = async (since: number, services: readonly string[] = LONG_RUNNING) => {
      const reached = new Map<string, number>();
      await waitFor(
        `${services.join(', ')} to be healthy`,
        async () => {
          for (const name of services) {
            if (reached.has(name)) continue;
            const c = await containerOf(name);
            if (!c) continue;
            const ok = name === 'production-simulator' ? c.State.Running : healthOf(c) === 'healthy';
            if (ok) reached.set(name, Date.now() - since);
          }
          return reached.size === services.length ? true : undefined;
        },
        4 * MINUTE,
      ).catch(async (err: Error) => {
        const ps = await compose.run(['ps'], { allowFailure: true });
        throw new Error(`${err.message}\n${ps.stdout}`);
      });
      return reached;
    };

    beforeEach((ctx) => {
      if (broken) ctx.skip();
    });
    afterEach((ctx) => {
      if (ctx.task.result?.state === 'fail') broken = true;
    });

    beforeAll(async () => {
      work = await mkdtemp('/var/tmp/pdm-deploy-test-');
      logFile = join(work, 'commands.log');
      log(`every command and its output: ${logFile}`);
      project = `pdmdeploytest${randomBytes(4).toString('hex')}`;
      // A loopback address of the test's own: the machine's own services (a Mosquitto on 127.0.0.1:1883)
      // keep their ports, and so does another run.
      publish = `127.${1 + (randomBytes(1)[0]! % 254)}.${randomBytes(1)[0]}.${2 + (randomBytes(1)[0]! % 252)}`;
      service = await startPodmanService(work, logFile);

      const started = performance.now();
      const standIns = await prepareBaseImages(work, logFile);
      note(
        'base images: no container registry can be reached from this machine, so the images the project pulls are ' +
          'stand-ins made here (deploy/test/stand-ins): Debian bookworm from the mirror apt uses, Node.js and npm ' +
          'from the npm registry, Debian’s Mosquitto, and the project’s fake InfluxDB',
      );
      for (const s of standIns) note(`  ${s.image}: ${s.source}`);
      note(`  ready in ${seconds(performance.now() - started)}`);

      dir = join(work, 'pump-pdm');
      await copyCheckout(dir);
      compose = new Compose({ dir, project, dockerHost: service.url, publishAddress: publish, logFile });
      health = runHealthChecks(project, logFile);
      log(`compose project ${project}, ports published on ${publish}, in ${dir}`);
    }, 30 * MINUTE);

    afterAll(async () => {
      await health?.stop();
      if (compose) {
        await compose
          .run(DOWN_EVERYTHING, {
            allowFailure: true,
          })
          .catch(() => undefined);
        // Whatever down left (a container of an interrupted `run`): by the project's label, and only those.
        const left = await projectContainers(project).catch(() => []);
        if (left.length > 0)
          await run('podman', ['rm', '-f', '-v', ...left], { allowFailure: true, logFile });
      }
      if (buildOutput !== '') {
        const pruned = await pruneStaleBuildCache(buildOutput, runStart, logFile).catch(() => 0);
        if (pruned > 0) log(`removed ${pruned} build cache layers of earlier runs that this run did not use`);
      }
      await service?.stop();
      if (summary.length > 0) console.log(`\ndeployment test summary\n${summary.join('\n')}`);
      if (broken && logFile && existsSync(logFile)) {
        const kept = `/var/tmp/${project}.log`;
        copyFileSync(logFile, kept);
        console.log(
          `\nlast lines of ${kept}, which has every command and its output:\n${tail(await readFile(kept, 'utf8'), 60)}`,
        );
      }
      // The copy of the repository holds the test's secrets and a model: nothing to keep.
      if (work) await rm(work, { recursive: true, force: true });
    }, 5 * MINUTE);

    it('writes .env and mosquitto/passwd with pnpm setup-secrets', async () => {
      // `pnpm setup-secrets` is `tsx deploy/setup-secrets.ts` in the repository's folder; run the same here.
      const tsx = import.meta.resolve('tsx/esm');
      await run(process.execPath, ['--import', tsx, 'deploy/setup-secrets.ts'], { cwd: dir, logFile });
      expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(dir, 'mosquitto/passwd'), 'utf8')).toMatch(/^acquisition:\$7\$/);
    });

    it(
      'writes them with the guide’s docker run one-liner too, on an instance without Node.js',
      async () => {
        // docs/deploy-ec2.md, section 3, as written there: in a second copy, so that the stack keeps the first.
        const guide = readFileSync(join(dir, 'docs/deploy-ec2.md'), 'utf8');
        const command = /```sh\n(docker run [^`]*deploy\/setup-secrets\.ts)\n```/.exec(guide)?.[1];
        expect(command, 'the docker run command of docs/deploy-ec2.md, section 3').toBeDefined();
        const other = join(work, 'second-copy');
        await copyCheckout(other);
        const engine =
          existsSync('/usr/bin/docker') || existsSync('/usr/local/bin/docker') ? 'docker' : 'podman';
        const result = await run('sh', ['-c', (command as string).replace(/^docker /, `${engine} `)], {
          cwd: other,
          env: compose.env(),
          logFile,
          timeoutMs: 5 * MINUTE,
        });
        note(`setup-secrets in a node:…-slim container (docs/deploy-ec2.md): ${seconds(result.ms)}`);
        const env = statSync(join(other, '.env'));
        expect(env.mode & 0o777).toBe(0o600);
        expect(env.uid).toBe(process.getuid?.());
        expect(readFileSync(join(other, 'mosquitto/passwd'), 'utf8')).toMatch(/^acquisition:\$7\$/);
        await rm(other, { recursive: true, force: true });
      },
      10 * MINUTE,
    );

    it(
      'builds every image from the Dockerfiles with docker-compose build',
      async () => {
        const build = await compose.run(['--profile', 'training', '--profile', 'tools', 'build'], {
          timeoutMs: 25 * MINUTE,
        });
        buildOutput = build.stdout;
        note(`docker-compose build (the ${IMAGES_BUILT} images built here): ${seconds(build.ms)}`);
        const images = JSON.parse(
          (await run('podman', ['images', '--format', 'json', '--filter', `reference=${project}_*`])).stdout,
        ) as { Names?: string[]; Size: number }[];
        const base = JSON.parse(
          (
            await run('podman', [
              'image',
              'inspect',
              'node:' +
                /^ARG NODE_VERSION=(\S+)$/m.exec(readFileSync(join(dir, 'Dockerfile'), 'utf8'))?.[1] +
                '-bookworm-slim',
            ])
          ).stdout,
        )[0] as { Size: number };
        const mosquittoBase = JSON.parse(
          (
            await run('podman', [
              'image',
              'inspect',
              'eclipse-mosquitto:' +
                /MOSQUITTO_IMAGE=eclipse-mosquitto:(\S+)/.exec(
                  readFileSync(join(dir, 'mosquitto/Dockerfile'), 'utf8'),
                )?.[1],
            ])
          ).stdout,
        )[0] as { Size: number };
        for (const image of images.sort((a, b) => (a.Names?.[0] ?? '').localeCompare(b.Names?.[0] ?? ''))) {
          const name = (image.Names?.[0] ?? '?')
            .replace(/^.*\//, '')
            .replace(`${project}_`, '')
            .replace(/:latest$/, '');
          const over = image.Size - (name === 'mosquitto' ? mosquittoBase.Size : base.Size);
          note(`  image ${name}: ${mb(image.Size)} (${mb(over)} over its base image)`);
        }
        expect(images.length).toBe(IMAGES_BUILT);
      },
      30 * MINUTE,
    );

    let upAt = 0;
    it(
      'starts with up -d, and every long-running service becomes healthy',
      async () => {
        upAt = Date.now();
        const up = await compose.run(['up', '-d'], { timeoutMs: 10 * MINUTE });
        note(`docker-compose up -d returned after ${seconds(up.ms)}`);
        const reached = await untilHealthy(upAt);
        for (const [name, ms] of reached)
          note(
            `  ${name} ${name === 'production-simulator' ? 'running' : 'healthy'} ${seconds(ms)} after up`,
          );
        note(`  (health checks every 15 s, run by the test as Docker's engine would: deploy/test/engine.ts)`);
      },
      15 * MINUTE,
    );

    /**
     * A count from acquisition's SQLite file, read read-only from inside a service's container. Production
     * telemetry, predictions and alerts are stored too, all the time, so the test counts what it sent.
     */
    const sqliteCount = async (sql: string, service: 'acquisition' | 'dashboard' = 'acquisition') => {
      const count = await compose.run([
        'exec',
        '-T',
        service,
        'node',
        '--no-warnings',
        '-e',
        "const{DatabaseSync}=require('node:sqlite');const d=new DatabaseSync('data/pdm.sqlite',{readOnly:true});console.log(d.prepare(process.argv[1]).get().n)",
        sql,
      ]);
      return Number(count.stdout.trim());
    };
    /** The labelled samples of the training runs. */
    const TRAINING_ROWS = "SELECT count(*) AS n FROM samples WHERE source = 'training'";
    /** Those the outbox has had InfluxDB accept: at or below the samples' cursor. */
    const FORWARDED_TRAINING_ROWS = `${TRAINING_ROWS} AND id <= coalesce((SELECT value FROM meta WHERE key = '${OUTBOX_CURSOR_KEYS.samples}'), 0)`;

    let shippedModel = '';
    let acknowledged = 0;
    it(
      'stores a training run of a small fleet and exports a balanced training set from InfluxDB',
      async () => {
        shippedModel = String((await healthz(9102)).model);
        const sim = await compose.run(['run', '--rm', 'training-simulator', ...TRAINING_RUN], {
          timeoutMs: 5 * MINUTE,
        });
        acknowledged = Number(/"acknowledged":(\d+)/.exec(sim.stdout + sim.stderr)?.[1]);
        note(
          `training-simulator ${TRAINING_RUN.join(' ')}: ${acknowledged} samples acknowledged, ${seconds(sim.ms)}`,
        );
        expect(acknowledged).toBeGreaterThan(5000);
        // acquisition stores them, then forwards them to InfluxDB; the export reads InfluxDB.
        await waitFor(
          'acquisition to forward every training sample to InfluxDB',
          async () => ((await sqliteCount(FORWARDED_TRAINING_ROWS)) === acknowledged ? true : undefined),
          2 * MINUTE,
        );
        const exported = await compose.run(['run', '--rm', 'export-training-data', ...EXPORT], {
          timeoutMs: 5 * MINUTE,
        });
        const written = Number(/"written":(\d+)/.exec(exported.stdout + exported.stderr)?.[1]);
        note(`export-training-data ${EXPORT.join(' ')}: ${written} rows, ${seconds(exported.ms)}`);
        expect(written).toBeGreaterThan(1000);
      },
      15 * MINUTE,
    );

    it(
      'trains into ./models once uid 1000 may write there, as the guide says',
      async () => {
        const models = join(dir, 'models');
        // A clone made as root: the containers' user cannot write ./models, and train says so.
        const refused = await compose.run(['run', '--rm', 'train', '--data', 'data/training.csv'], {
          allowFailure: true,
        });
        expect(refused.code).not.toBe(0);
        expect(refused.stdout + refused.stderr).toMatch(
          /EACCES: permission denied.*\n.*No model was written/,
        );
        // docs/deploy-ec2.md: sudo chown -R 1000:1000 models
        for (const f of ['', ...readdirSync(models)]) chownSync(join(models, f), 1000, 1000);
        const trained = await compose.run(['run', '--rm', 'train', '--data', 'data/training.csv'], {
          timeoutMs: 10 * MINUTE,
        });
        note(`train --data data/training.csv: ${seconds(trained.ms)}`);
        expect(statSync(join(models, 'pump-state.onnx')).uid).toBe(1000);
      },
      15 * MINUTE,
    );

    let model = '';
    it(
      'serves the new model in inference, which was already running, without a restart',
      async () => {
        model = await waitFor(
          'inference to load the new model',
          async () => {
            const m = String((await healthz(9102)).model);
            return m !== shippedModel ? m : undefined;
          },
          2 * MINUTE,
        );
        note(`inference: model ${shippedModel} → ${model}`);
        const inference = await containerOf('inference');
        expect(inference?.State.StartedAt).toBeDefined();
        expect(Date.parse(inference?.State.StartedAt ?? '')).toBeLessThan(upAt + MINUTE);
      },
      5 * MINUTE,
    );

    it(
      'shows the new model’s predictions with docker-compose run tail-predictions --source mqtt',
      async () => {
        const name = `${project}-tail`;
        const predictions: Record<string, unknown>[] = [];
        let enough!: () => void;
        const gotEnough = new Promise<void>((resolve) => {
          enough = resolve;
        });
        const tailRun = compose.spawn(
          ['run', '--rm', '-T', '--name', name, 'tail-predictions', '--source', 'mqtt', '--json'],
          (line) => {
            if (!line.startsWith('{"pump_id"')) return;
            const p = JSON.parse(line) as Record<string, unknown>;
            if (p.model_version === model) predictions.push(p);
            if (predictions.length >= 200) enough();
          },
        );
        await Promise.race([
          gotEnough,
          tailRun.exited.then((code) => {
            throw new Error(`tail-predictions exited (${code}) before showing 200 predictions`);
          }),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error('no predictions within 2 minutes')), 2 * MINUTE),
          ),
        ]);
        await run('podman', ['stop', '--time', '30', name], { logFile });
        expect(await tailRun.exited).toBe(0);
        note(
          `tail-predictions --source mqtt: ${predictions.length} predictions of the new model, then stopped`,
        );
        expect(new Set(predictions.map((p) => p.pump_id)).size).toBeGreaterThan(10);
      },
      5 * MINUTE,
    );

    it(
      'serves the dashboard behind its login, with the password from .env, and the fleet it sees live',
      async () => {
        const env = readFileSync(join(dir, '.env'), 'utf8');
        const password = /^DASHBOARD_PASSWORD=(.*)$/m.exec(env)?.[1] ?? '';
        expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const login = (user: string, pass: string) => ({
          authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
        });
        const get = (path: string, headers: Record<string, string> = {}) =>
          fetch(url(8080, path), { headers });

        const anonymous = await get('/');
        expect(anonymous.status).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
        expect((await get('/api/fleet')).status).toBe(401);
        expect((await get('/', login('admin', `${password}x`))).status).toBe(401);
        // The health check needs no login.
        expect((await get('/healthz')).status).toBe(200);

        const page = await get('/', login('admin', password));
        expect(page.status).toBe(200);
        // The page's script, bundled in the image's build stage, is served by the dashboard itself.
        const script = /<script[^>]+src="([^"]+)"/.exec(await page.text())?.[1];
        expect(script, 'a script on the page').toBeDefined();
        expect(
          (await get(new URL(script as string, url(8080, '/')).pathname, login('admin', password))).status,
        ).toBe(200);

        // The production simulator's pumps, predicted by inference, as the dashboard sees them over MQTT.
        const fleet = await waitFor(
          'the dashboard’s fleet to list the production simulator’s pumps',
          async () => {
            const response = await get('/api/fleet', login('admin', password));
            const body = (await response.json()) as { total: number };
            return response.status === 200 && body.total > 0 ? body : undefined;
          },
          MINUTE,
        );
        note(`dashboard: 401 without the login, the page and /api/fleet (${fleet.total} pumps) with it`);
        // Nothing went wrong on the way, such as a page it could not build in the image.
        const logs = await compose.run(['logs', '--no-color', 'dashboard']);
        expect(logs.stdout.split('\n').filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
      },
      5 * MINUTE,
    );

    it(
      'lets the dashboard read acquisition’s SQLite file read-only beside acquisition, as STORE=sqlite does',
      async () => {
        // The dashboard's container, as the node user, opens the file read-only while acquisition writes to
        // it: its read-write mount of the volume lets SQLite map the WAL index (docker-compose.yml says why).
        expect(await sqliteCount(TRAINING_ROWS, 'dashboard')).toBe(acknowledged);
        note(
          `dashboard container: the ${acknowledged} training samples in acquisition's SQLite file, read read-only`,
        );
      },
      5 * MINUTE,
    );

    let predictionsDir = '';
    const newestLog = () =>
      readdirSync(predictionsDir)
        .filter((f) => /^predictions-\d{4}-\d\d-\d\d\.jsonl$/.test(f))
        .sort()
        .pop();
    it(
      'appends the predictions to the log in the predictions volume',
      async () => {
        predictionsDir = await volume('predictions');
        const file = newestLog();
        expect(file).toBeDefined();
        const before = statSync(join(predictionsDir, file as string)).size;
        const after = await waitFor(
          'the prediction log to grow',
          async () => {
            const size = statSync(join(predictionsDir, newestLog() as string)).size;
            return size > before ? size : undefined;
          },
          MINUTE,
        );
        note(`prediction log ${file}: ${Math.round(before / 1e3)} kB → ${Math.round(after / 1e3)} kB`);
      },
      5 * MINUTE,
    );

    it(
      'refuses anonymous clients, stolen client ids and publishes outside a user’s topics, between containers',
      async () => {
        const env = readFileSync(join(dir, '.env'), 'utf8');
        const secret = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(env)?.[1] ?? '';
        const broker = await containerOf('mosquitto');
        // A container of the broker's image (it has the Mosquitto clients) on the compose network. Not
        // `docker-compose run mosquitto`: compose links a one-off container to the running one, and Podman
        // has no links.
        const script = [
          'echo "anonymous: $(mosquitto_sub -h mosquitto -t "pdm/v1/#" -C 1 -W 5 2>&1)"',
          'echo "stolen id: $(mosquitto_sub -h mosquitto -u viewer -P "$VIEWER" -i acquisition-0 -t "pdm/v1/#" -C 1 -W 5 2>&1)"',
          // The viewer reads both topics and stops after two messages. Each round publishes the forbidden
          // message, waits for its PUBACK (the broker has routed it, or dropped it), then the allowed one; so
          // by the second message received, a whole round went out after the subscription.
          'mosquitto_sub -h mosquitto -u viewer -P "$VIEWER" -v -R -C 2 -W 60 -t pdm/v1/predictions/acl-probe -t pdm/v1/status/production-simulator > /tmp/received 2>&1 &',
          'sub=$!',
          'pub() { mosquitto_pub -h mosquitto -u production-simulator -P "$PRODUCER" -i production-simulator-acl-probe -V mqttv5 -q 1 -t "$1" -m "$2" 2>&1; }',
          'echo "forbidden: $(pub pdm/v1/predictions/acl-probe forbidden)"',
          'echo "allowed: $(pub pdm/v1/status/production-simulator allowed)"',
          'i=0; while kill -0 $sub 2>/dev/null && [ $i -lt 100 ]; do pub pdm/v1/predictions/acl-probe forbidden >/dev/null; pub pdm/v1/status/production-simulator allowed; sleep 0.2; i=$((i+1)); done',
          'wait $sub',
          'echo "viewer received: $(tr "\\n" "|" < /tmp/received)"',
        ].join('\n');
        const probe = await run(
          'podman',
          [
            'run',
            '--rm',
            '--network',
            `${project}_default`,
            '--label',
            `com.docker.compose.project=${project}`,
            '-e',
            `VIEWER=${secret('MQTT_PASSWORD_VIEWER')}`,
            '-e',
            `PRODUCER=${secret('MQTT_PASSWORD_PRODUCTION_SIMULATOR')}`,
            '--entrypoint',
            'sh',
            broker?.Image ?? '',
            '-c',
            script,
          ],
          { logFile, timeoutMs: 2 * MINUTE },
        );
        const out = probe.stdout;
        expect(out).toMatch(/^anonymous: Connection error: Connection Refused: not authori[sz]ed\.$/m);
        expect(out).toMatch(/^stolen id: Connection error: Connection Refused: not authori[sz]ed\.$/m);
        expect(out).toMatch(/^forbidden: Warning: Publish 1 failed: Not authori[sz]ed\.$/m);
        expect(out).toMatch(/^allowed: $/m);
        expect(out).toMatch(
          /^viewer received: pdm\/v1\/status\/production-simulator allowed\|pdm\/v1\/status\/production-simulator allowed\|$/m,
        );
        note(
          'ACL between containers: anonymous refused, a service id refused to another user, a publish outside the user’s topics dropped',
        );
      },
      5 * MINUTE,
    );

    const before = { rows: 0, firstLine: '', lines: 0, file: '', csv: '' };
    it(
      'stops every service on SIGTERM well within its grace period with docker-compose stop',
      async () => {
        before.rows = await sqliteCount(TRAINING_ROWS);
        before.file = newestLog() as string;
        const text = readFileSync(join(predictionsDir, before.file), 'utf8');
        before.firstLine = text.slice(0, text.indexOf('\n'));
        before.csv = readFileSync(join(await volume('acquisition-data'), 'training.csv'), 'utf8');
        const stopAt = Date.now();
        const stop = await compose.run(['stop'], { timeoutMs: 3 * MINUTE });
        before.lines = readFileSync(join(predictionsDir, before.file), 'utf8').split('\n').length - 1;
        note(
          `docker-compose stop: ${seconds(stop.ms)}; each service exited this long after it began (dependents first):`,
        );
        for (const name of LONG_RUNNING) {
          const c = (await containerOf(name)) as Inspected;
          const ms = Date.parse(c.State.FinishedAt) - stopAt;
          note(`  ${name}: exit code ${c.State.ExitCode} after ${seconds(ms)}`);
          expect(c.State.Running, name).toBe(false);
          // 137 would be the SIGKILL at the end of the grace period.
          expect(c.State.ExitCode, name).toBe(0);
          expect(ms, name).toBeLessThan(GRACE_MS);
        }
      },
      5 * MINUTE,
    );

    let queued = 0;
    it(
      'keeps what the broker queued for acquisition across a broker restart',
      async () => {
        const since = Date.now();
        await compose.run(['up', '-d', 'mosquitto']);
        await untilHealthy(since, ['mosquitto']);
        const sim = await compose.run(['run', '--rm', '--no-deps', 'training-simulator', ...QUEUED_RUN]);
        queued = Number(/"acknowledged":(\d+)/.exec(sim.stdout + sim.stderr)?.[1]);
        expect(queued).toBeGreaterThan(100);
        await compose.run(['stop', 'mosquitto']);
        note(`${queued} samples queued by the broker for acquisition (stopped), then the broker restarted`);
      },
      5 * MINUTE,
    );

    it(
      'finds the data of every volume again after up -d',
      async () => {
        const since = Date.now();
        await compose.run(['up', '-d'], { timeoutMs: 5 * MINUTE });
        const reached = await untilHealthy(since);
        note(`up -d again: every service healthy ${seconds(Math.max(...reached.values()))} after`);
        // Mosquitto's persistence: the session and the messages queued for it.
        // acquisition's SQLite file (the outbox): every training row from before, and the queued ones.
        await waitFor(
          'acquisition to receive what was queued for it',
          async () => ((await sqliteCount(TRAINING_ROWS)) === before.rows + queued ? true : undefined),
          2 * MINUTE,
        );
        // the predictions volume: the same log, carried on.
        const text = readFileSync(join(predictionsDir, before.file), 'utf8');
        expect(text.slice(0, text.indexOf('\n'))).toBe(before.firstLine);
        expect(text.split('\n').length - 1).toBeGreaterThanOrEqual(before.lines);
        // InfluxDB's volume: the same export gives the same training set.
        await compose.run([
          'run',
          '--rm',
          'export-training-data',
          ...EXPORT.map((a) => a.replace('training.csv', 'training-again.csv')),
        ]);
        const again = readFileSync(join(await volume('acquisition-data'), 'training-again.csv'), 'utf8');
        expect(again).toBe(before.csv);
        note(
          'after the restart: broker queue delivered, SQLite rows, prediction log and InfluxDB points all kept',
        );
      },
      10 * MINUTE,
    );

    it(
      'removes every container, network and volume with down -v',
      async () => {
        const down = await compose.run(DOWN_EVERYTHING, { timeoutMs: 5 * MINUTE });
        note(`docker-compose down -v: ${seconds(down.ms)}`);
        expect(await projectContainers(project)).toEqual([]);
        const volumes = await run('podman', [
          'volume',
          'ls',
          '-q',
          '--filter',
          `label=com.docker.compose.project=${project}`,
        ]);
        expect(volumes.stdout.trim()).toBe('');
        const networks = await run('podman', ['network', 'ls', '-q', '--filter', `name=${project}`]);
        expect(networks.stdout.trim()).toBe('');
        const images = await run('podman', ['images', '-q', '--filter', `reference=${project}_*`]);
        expect(images.stdout.trim()).toBe('');
      },
      10 * MINUTE,
    );
  },
);
