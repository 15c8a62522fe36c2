/**
 * The influxdb stand-in's program (deploy/test/stand-ins/influxdb/Dockerfile): the project's fake InfluxDB
 * on port 8086, set up as the official image sets InfluxDB up, and keeping its points in the data volume.
 *
 * The official image runs its setup once, on the first start with an empty data volume, from
 * DOCKER_INFLUXDB_INIT_MODE=setup and DOCKER_INFLUXDB_INIT_{USERNAME,PASSWORD,ORG,BUCKET,ADMIN_TOKEN}; later
 * starts keep what was set up and ignore the variables. So does this: the setup goes to a file in the volume.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// By path rather than as @pdm/testkit: the image holds this file and the fake's sources in the same layout
// (stand-ins.ts), and nothing else of the workspace.
import { startFakeInflux } from '../../../../packages/testkit/src/fake-influx/index.ts';

const DATA_DIR = process.env.INFLUXDB_STAND_IN_DIR ?? '/var/lib/influxdb2';
const SETUP_FILE = join(DATA_DIR, 'stand-in-setup.json');
const JOURNAL_FILE = join(DATA_DIR, 'stand-in-writes.journal');
const PORT = Number(process.env.INFLUXDB_STAND_IN_PORT ?? 8086);

interface Setup {
  readonly user: string;
  readonly org: string;
  readonly bucket: string;
  readonly token: string;
}

const log = (msg: string) => console.log(`${new Date().toISOString()} influxdb stand-in: ${msg}`);

function setUp(): Setup {
  if (existsSync(SETUP_FILE)) {
    const setup = JSON.parse(readFileSync(SETUP_FILE, 'utf8')) as Setup;
    log(`set up before (org "${setup.org}", bucket "${setup.bucket}"): DOCKER_INFLUXDB_INIT_* ignored`);
    return setup;
  }
  const env = process.env;
  if (env.DOCKER_INFLUXDB_INIT_MODE !== 'setup') {
    throw new Error('not set up, and DOCKER_INFLUXDB_INIT_MODE is not "setup"');
  }
  const missing = ['USERNAME', 'PASSWORD', 'ORG', 'BUCKET']
    .map((name) => `DOCKER_INFLUXDB_INIT_${name}`)
    .filter((name) => (env[name] ?? '') === '');
  if (missing.length > 0) throw new Error(`setup needs ${missing.join(', ')}`);
  if ((env.DOCKER_INFLUXDB_INIT_PASSWORD ?? '').length < 8) {
    throw new Error('DOCKER_INFLUXDB_INIT_PASSWORD: passwords must be at least 8 characters long');
  }
  if ((env.DOCKER_INFLUXDB_INIT_RETENTION ?? '') !== '') {
    log(`DOCKER_INFLUXDB_INIT_RETENTION=${env.DOCKER_INFLUXDB_INIT_RETENTION}: the stand-in expires nothing`);
  }
  const setup: Setup = {
    user: env.DOCKER_INFLUXDB_INIT_USERNAME as string,
    org: env.DOCKER_INFLUXDB_INIT_ORG as string,
    bucket: env.DOCKER_INFLUXDB_INIT_BUCKET as string,
    token: env.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN || crypto.randomUUID(),
  };
  writeFileSync(SETUP_FILE, JSON.stringify(setup), { mode: 0o600 });
  log(`set up: user "${setup.user}", org "${setup.org}", bucket "${setup.bucket}"`);
  return setup;
}

try {
  log(
    'the project’s fake InfluxDB 2.x (packages/testkit/src/fake-influx), standing in for the influxdb image, ' +
      'which cannot be pulled where this test runs',
  );
  const setup = setUp();
  let fake: Awaited<ReturnType<typeof startFakeInflux>>;
  const options = {
    token: setup.token,
    org: setup.org,
    buckets: [setup.bucket],
    port: PORT,
    journal: JOURNAL_FILE,
    recordLines: false,
  };
  try {
    fake = await startFakeInflux({ ...options, host: '::' });
  } catch {
    // no IPv6 in this container
    fake = await startFakeInflux({ ...options, host: '0.0.0.0' });
  }
  log(`listening on port ${fake.port}, ${fake.stats().pointsStored} points kept from before`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    fake.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  log(`error: ${(err as Error).message}`);
  process.exit(1);
}
