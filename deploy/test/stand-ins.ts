/**
 * The base images of the deployment, made here: no container registry can be reached from the test
 * machines, so the images that the Dockerfiles and docker-compose.yml pull (node, eclipse-mosquitto,
 * influxdb) are replaced by stand-ins built from Debian's mirror and the npm registry, tagged with the same
 * names. Each is cached under a key of everything it is made from, so a second run on the machine reuses it.
 * A real image already present under one of those names is used as it is, and never re-tagged.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO_ROOT } from '@pdm/testkit';
import { run } from './exec.ts';

const HERE = join(REPO_ROOT, 'deploy/test/stand-ins');
/** Bumped when the way the Debian base is made changes. */
const DEBIAN_RECIPE = 'debootstrap --variant=minbase bookworm, v1';

export interface BaseImages {
  readonly nodeVersion: string;
  /** the Dockerfile's FROM images, e.g. node:24.22.3-bookworm and node:24.22.3-bookworm-slim */
  readonly node: readonly string[];
  /** mosquitto/Dockerfile's FROM image, e.g. eclipse-mosquitto:2.0.22 */
  readonly mosquitto: string;
  /** the image docker-compose.yml pulls for influxdb, e.g. influxdb:2.8.0 */
  readonly influxdb: string;
}

export interface StandInReport {
  /** the name the project uses */
  readonly image: string;
  readonly source: 'stand-in, built now' | 'stand-in, cached' | 'real image, already here';
}

/** `FROM` images of a Dockerfile, with its `ARG name=value` defaults substituted. */
function fromImages(dockerfile: string): string[] {
  const args = Object.fromEntries(
    [...dockerfile.matchAll(/^ARG ([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
  return [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) =>
    (m[1] as string).replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => args[name] ?? ''),
  );
}

/** The images the project pulls, read from its Dockerfiles and compose file. */
export function baseImages(root = REPO_ROOT): BaseImages {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const nodeVersion = /^ARG NODE_VERSION=(\S+)$/m.exec(dockerfile)?.[1];
  if (nodeVersion === undefined) throw new Error('no ARG NODE_VERSION= in the Dockerfile');
  const node = [...new Set(fromImages(dockerfile).filter((image) => image.startsWith('node:')))];
  const mosquitto = fromImages(readFileSync(join(root, 'mosquitto/Dockerfile'), 'utf8')).find((image) =>
    image.startsWith('eclipse-mosquitto:'),
  );
  const influxdb = /^ {4}image: (influxdb:\S+)$/m.exec(
    readFileSync(join(root, 'docker-compose.yml'), 'utf8'),
  )?.[1];
  if (node.length === 0 || mosquitto === undefined || influxdb === undefined) {
    throw new Error('cannot find the node, eclipse-mosquitto and influxdb images in the Dockerfiles');
  }
  return { nodeVersion, node, mosquitto, influxdb };
}

/** Debian's mirror as apt uses it here, from /etc/apt/sources.list*, and the security mirror if any. */
export function debianMirrors(): { readonly mirror: string; readonly security?: string } {
  const entries: { uri: string; suites: string[] }[] = [];
  const dir = '/etc/apt/sources.list.d';
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : []),
  ].filter((f) => existsSync(f) && /(\.list|\.sources)$/.test(f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) =>
          new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
        if (!field('Types').includes('deb') || /^Enabled:\s*no/im.test(stanza)) continue;
        for (const uri of field('URIs')) entries.push({ uri, suites: field('Suites') });
      }
    } else {
      for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/gm)) {
        entries.push({ uri: m[1] as string, suites: [m[2] as string] });
      }
    }
  }
  const mirror = entries.find((e) => e.suites.includes('bookworm'))?.uri ?? 'http://deb.debian.org/debian';
  const security = entries.find((e) => e.suites.includes('bookworm-security'))?.uri;
  return security === undefined ? { mirror } : { mirror, security };
}

const hash = (...parts: (string | Buffer)[]) => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part).update('\0');
  return h.digest('hex').slice(0, 16);
};

/** The contents of files, for a cache key. */
const contents = (paths: readonly string[]) => paths.map((p) => `${basename(p)}\n${readFileSync(p, 'utf8')}`);

async function podman(args: readonly string[], logFile: string, allowFailure = false) {
  return run('podman', args, { logFile, allowFailure });
}

/** The stand-in label of an image, '' for an image without one, undefined when there is no such image. */
async function standInLabel(image: string, logFile: string): Promise<string | undefined> {
  const result = await podman(
    ['image', 'inspect', '--format', '{{index .Config.Labels "pdm.stand-in"}}', image],
    logFile,
    true,
  );
  if (result.code !== 0) return undefined;
  const label = result.stdout.trim();
  return label === '<no value>' ? '' : label;
}

const arch = () => ({ x64: 'x64', arm64: 'arm64' })[process.arch as 'x64' | 'arm64'];

/**
 * The Node.js of the Dockerfile's NODE_VERSION from the npm registry (node-linux-<arch>: binary and headers),
 * in the same cache as .ci/run's, installed there if .ci/run has not.
 */
async function nodeHome(version: string, logFile: string): Promise<string> {
  const a = arch();
  if (a === undefined) throw new Error(`no Node.js package for ${process.arch}`);
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pdm-node', `${version}-${a}`);
  const home = join(cache, 'node_modules', `node-linux-${a}`);
  if (!existsSync(join(home, 'bin/node'))) {
    await mkdir(join(cache, '..'), { recursive: true });
    const tmp = await mkdtemp(`${cache}.`);
    await run(
      'npm',
      [
        'install',
        '--prefix',
        tmp,
        '--no-save',
        '--no-package-lock',
        '--ignore-scripts',
        `node-linux-${a}@${version}`,
      ],
      { logFile },
    );
    await rename(tmp, cache).catch(() => rm(tmp, { recursive: true, force: true }));
  }
  return home;
}

/** The npm that this Node.js release bundles, from its changelog (the newest "upgrade npm to"). */
function bundledNpm(home: string): string {
  const changelog = join(home, 'CHANGELOG.md');
  const version = existsSync(changelog)
    ? /upgrade npm to (\d+\.\d+\.\d+)/.exec(readFileSync(changelog, 'utf8'))?.[1]
    : undefined;
  return version ?? '11';
}

/** npm's package, unpacked, from a tarball kept in the test's cache. */
async function npmPackage(version: string, into: string, logFile: string): Promise<void> {
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'pdm-deploy-test');
  await mkdir(cache, { recursive: true });
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', cache, `npm@${version}`], {
    logFile,
    cwd: cache,
  });
  const tarball = join(cache, packed.stdout.trim().split('\n').pop() ?? '');
  await mkdir(into, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', into, '--strip-components=1'], { logFile });
}

interface Recipe {
  /** stand-in name, also the label value */
  readonly name: string;
  readonly key: string;
  /** makes the image under `tag` */
  build(tag: string): Promise<void>;
}

/** Builds (or finds cached) one stand-in under a private tag; returns that tag and whether it was built. */
async function privateImage(recipe: Recipe, logFile: string): Promise<{ tag: string; built: boolean }> {
  const tag = `localhost/pdm-stand-in/${recipe.name}:${recipe.key}`;
  if ((await standInLabel(tag, logFile)) === recipe.name) return { tag, built: false };
  await recipe.build(tag);
  // Older keys of the same stand-in: removed when nothing uses them any more.
  const old = await podman(
    ['images', '--filter', `label=pdm.stand-in=${recipe.name}`, '--format', '{{.Repository}}:{{.Tag}}'],
    logFile,
  );
  for (const image of old.stdout.split('\n').filter((i) => i.startsWith('localhost/pdm-stand-in/'))) {
    if (image !== tag) await podman(['rmi', image], logFile, true);
  }
  return { tag, built: true };
}

/**
 * Makes the stand-ins the project needs and tags them with the names it uses, unless a real image has one
 * of those names. `workDir` holds the temporary root file system and build contexts; `logFile` every command.
 */
export async function prepareBaseImages(workDir: string, logFile: string): Promise<StandInReport[]> {
  const images = baseImages();
  const { mirror, security } = debianMirrors();
  const reports: StandInReport[] = [];

  const debian: Recipe = {
    name: 'debian',
    key: hash(DEBIAN_RECIPE, mirror, security ?? '', process.arch),
    async build(tag) {
      const rootfs = await mkdtemp(join(workDir, 'rootfs-'));
      try {
        await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, mirror], { logFile });
        const sources = [
          `deb ${mirror} bookworm main`,
          `deb ${mirror} bookworm-updates main`,
          ...(security ? [`deb ${security} bookworm-security main`] : []),
        ];
        await writeFile(join(rootfs, 'etc/apt/sources.list'), `${sources.join('\n')}\n`);
        await run('sh', [
          '-c',
          'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*',
          'sh',
          rootfs,
        ]);
        await run(
          'sh',
          [
            '-c',
            'tar -C "$1" -c . | podman import --change "$2" --change "$3" --change "$4" --change "$5" - "$6"',
            'sh',
            rootfs,
            'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
            'CMD ["bash"]',
            'LABEL pdm.stand-in=debian',
            `LABEL pdm.stand-in.key=${this.key}`,
            tag,
          ],
          { logFile },
        );
      } finally {
        await rm(rootfs, { recursive: true, force: true });
      }
    },
  };
  const base = await privateImage(debian, logFile);

  const home = await nodeHome(images.nodeVersion, logFile);
  const npmVersion = bundledNpm(home);
  const caBundle = process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';
  const ca = existsSync(caBundle) ? readFileSync(caBundle) : Buffer.alloc(0);

  const dockerBuild = async (name: string, key: string, context: string, baseTag: string, tag: string) => {
    await podman(
      [
        'build',
        '--layers',
        '--build-arg',
        `BASE=${baseTag}`,
        '--label',
        `pdm.stand-in=${name}`,
        '--label',
        `pdm.stand-in.key=${key}`,
        '-t',
        tag,
        context,
      ],
      logFile,
    );
  };

  const node: Recipe = {
    name: 'node',
    key: hash(base.tag, images.nodeVersion, npmVersion, ca, ...contents([join(HERE, 'node/Dockerfile')])),
    async build(tag) {
      const context = await mkdtemp(join(workDir, 'node-'));
      try {
        await cp(join(HERE, 'node/Dockerfile'), join(context, 'Dockerfile'));
        await mkdir(join(context, 'node/bin'), { recursive: true });
        await cp(join(home, 'bin/node'), join(context, 'node/bin/node'));
        await cp(join(home, 'include'), join(context, 'node/include'), { recursive: true });
        await npmPackage(npmVersion, join(context, 'npm'), logFile);
        await writeFile(join(context, 'ca-certificates.crt'), ca);
        await dockerBuild('node', this.key, context, base.tag, tag);
      } finally {
        await rm(context, { recursive: true, force: true });
      }
    },
  };
  const nodeImage = await privateImage(node, logFile);

  const mosquittoFiles = ['Dockerfile', 'apk', 'docker-entrypoint.sh'].map((f) => join(HERE, 'mosquitto', f));
  const mosquitto: Recipe = {
    name: 'eclipse-mosquitto',
    key: hash(base.tag, ...contents(mosquittoFiles)),
    async build(tag) {
      await dockerBuild('eclipse-mosquitto', this.key, join(HERE, 'mosquitto'), base.tag, tag);
    },
  };
  const mosquittoImage = await privateImage(mosquitto, logFile);

  const fakeDir = join(REPO_ROOT, 'packages/testkit/src/fake-influx');
  const fakeSources = readdirSync(fakeDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'testing.ts')
    .sort();
  const influxFiles = ['Dockerfile', 'influx', 'main.ts'].map((f) => join(HERE, 'influxdb', f));
  const influxdb: Recipe = {
    name: 'influxdb',
    key: hash(nodeImage.tag, ...contents(influxFiles), ...contents(fakeSources.map((f) => join(fakeDir, f)))),
    async build(tag) {
      const context = await mkdtemp(join(workDir, 'influxdb-'));
      try {
        await cp(join(HERE, 'influxdb/Dockerfile'), join(context, 'Dockerfile'));
        await cp(join(HERE, 'influxdb/influx'), join(context, 'influx'));
        const main = join(context, 'src/deploy/test/stand-ins/influxdb');
        await mkdir(main, { recursive: true });
        await cp(join(HERE, 'influxdb/main.ts'), join(main, 'main.ts'));
        const fake = join(context, 'src/packages/testkit/src/fake-influx');
        await mkdir(fake, { recursive: true });
        for (const f of fakeSources) await cp(join(fakeDir, f), join(fake, f));
        await dockerBuild('influxdb', this.key, context, nodeImage.tag, tag);
      } finally {
        await rm(context, { recursive: true, force: true });
      }
    },
  };
  const influxImage = await privateImage(influxdb, logFile);

  const publish = async (privateTag: string, built: boolean, names: readonly string[]) => {
    for (const image of names) {
      const label = await standInLabel(image, logFile);
      if (label === '') {
        reports.push({ image, source: 'real image, already here' });
        continue;
      }
      await podman(['tag', privateTag, `docker.io/library/${image}`], logFile);
      reports.push({ image, source: built ? 'stand-in, built now' : 'stand-in, cached' });
    }
  };
  await publish(nodeImage.tag, base.built || nodeImage.built, images.node);
  await publish(mosquittoImage.tag, base.built || mosquittoImage.built, [images.mosquitto]);
  await publish(influxImage.tag, base.built || nodeImage.built || influxImage.built, [images.influxdb]);
  return reports;
}
