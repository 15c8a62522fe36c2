import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedJson, PUMP_STATES, type Telemetry, type TrainingSample } from '@pdm/contract';
import { FEATURE_COUNT, FEATURE_DECIMALS, FEATURE_NAMES, FeatureExtractor } from '@pdm/features';
import { createInfluxWriter, encodeSample } from '@pdm/influx';
import { type FakeInflux, startFakeInflux, startService } from '@pdm/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET_START_MS, fillStore, labelledFleet } from './fixtures.ts';

const HOUR = 3_600_000;
const root = mkdtempSync(join(tmpdir(), 'pdm-export-it-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A labelled fleet as it arrives (pumps interleaved), and one pump's raw telemetry without labels. */
const fleet = [...labelledFleet({ pumps: 6, etaH: 40, seed: 3 })];
const raw: Telemetry[] = [...labelledFleet({ pumps: 1, etaH: 40, seed: 4, idPrefix: 'raw' })].map(
  ({ state: _s, health_pct: _h, rul_h: _r, failure_mode: _f, ...telemetry }) => telemetry,
);
const countStates = (samples: readonly TrainingSample[]) =>
  Object.fromEntries(PUMP_STATES.map((s) => [s, samples.filter((x) => x.state === s).length]));

/** A working directory holding the store at the default path, as a user's checkout would. */
function workdir(samples: Iterable<TrainingSample> = fleet, telemetry: Iterable<Telemetry> = raw): string {
  const dir = mkdtempSync(join(root, 'run-'));
  fillStore(join(dir, 'data', 'pdm.sqlite'), samples);
  fillStore(join(dir, 'data', 'pdm.sqlite'), telemetry as Iterable<TrainingSample>, 'telemetry');
  return dir;
}

interface Run {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
  readonly logs: Record<string, unknown>[];
}

async function exportData(cwd: string, args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  const cli = startService('export-training-data', args, env, { cwd });
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr(), logs: cli.logs() };
}

function summaryOf(run: Run): Record<string, unknown> {
  const summary = run.logs.find((l) => l.msg === 'export complete');
  if (!summary) throw new Error(`no summary (exit ${run.code}):\n${run.stderr}`);
  return summary;
}

function csvRows(path: string): { header: string[]; rows: string[][] } {
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  return { header: (header ?? '').split(','), rows: lines.map((l) => l.split(',')) };
}

const stateColumn = 3 + FEATURE_COUNT;
const perState = (rows: string[][]) =>
  Object.fromEntries(PUMP_STATES.map((s) => [s, rows.filter((r) => r[stateColumn] === s).length]));

let shared: string;
beforeAll(() => {
  shared = workdir();
});

describe('export-training-data on a SQLite store', () => {
  it('writes a balanced CSV to data/training-<time>.csv: the same number of rows of every state', async () => {
    const run = await exportData(shared);
    expect(run.code).toBe(0);
    const out = run.stdout.trim();
    expect(out).toMatch(new RegExp(`^${shared}/data/training-\\d{8}T\\d{6}Z\\.csv$`));
    const { header, rows } = csvRows(out);
    expect(header).toEqual([
      'ts',
      'pump_id',
      'seq',
      ...FEATURE_NAMES,
      'state',
      'health_pct',
      'rul_h',
      'failure_mode',
    ]);
    const labelled = countStates(fleet);
    const minority = Math.min(...Object.values(labelled));
    expect(perState(rows)).toEqual(Object.fromEntries(PUMP_STATES.map((s) => [s, minority])));
    const summary = summaryOf(run);
    expect(summary.inRange).toEqual(labelled);
    expect(summary.exported).toEqual(perState(rows));
    expect(summary.rows).toBe(fleet.length + raw.length);
    // the folder holds the finished file only: no temporary file left behind
    expect(readdirSync(join(shared, 'data')).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('caps every state at --max-per-class, picks the same rows for a seed and others for another seed', async () => {
    const args = (seed: number, out: string) => [
      '--max-per-class',
      '15',
      '--seed',
      String(seed),
      '--out',
      out,
    ];
    const [first, again, other] = await Promise.all([
      exportData(shared, args(5, 'seed5.csv')),
      exportData(shared, args(5, 'seed5-again.csv')),
      exportData(shared, args(6, 'seed6.csv')),
    ]);
    for (const run of [first, again, other]) expect(run.code).toBe(0);
    const rows = csvRows(join(shared, 'seed5.csv')).rows;
    expect(perState(rows)).toEqual({ HEALTHY: 15, WARNING: 15, FAULTY: 15, BROKEN: 15 });
    expect(readFileSync(join(shared, 'seed5-again.csv'), 'utf8')).toBe(
      readFileSync(join(shared, 'seed5.csv'), 'utf8'),
    );
    expect(readFileSync(join(shared, 'seed6.csv'), 'utf8')).not.toBe(
      readFileSync(join(shared, 'seed5.csv'), 'utf8'),
    );
  });

  it('with --balance none writes every labelled sample, with features equal to a FeatureExtractor fed message by message', async () => {
    const run = await exportData(shared, ['--balance', 'none', '--out', 'out/all.csv']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(join(shared, 'out', 'all.csv'));
    const { rows } = csvRows(join(shared, 'out', 'all.csv'));
    expect(rows).toHaveLength(fleet.length);
    expect(perState(rows)).toEqual(countStates(fleet));

    // Inference sees the fleet as it arrives, every pump interleaved, one extractor for all of them.
    const live = new FeatureExtractor();
    const expected = new Map<string, string[]>();
    const features = new Float64Array(FEATURE_COUNT);
    for (const message of fleet) {
      live.push(message, features);
      expected.set(
        `${message.pump_id}@${message.ts}`,
        Array.from(features, (x) => fixedJson(x, FEATURE_DECIMALS)),
      );
    }
    for (const row of rows) {
      expect(row.slice(3, 3 + FEATURE_COUNT), `${row[1]} at ${row[0]}`).toEqual(
        expected.get(`${row[1]}@${row[0]}`),
      );
    }
  });

  it('writes JSON Lines when --out ends in .jsonl, every value parseable and keyed by column', async () => {
    const run = await exportData(shared, ['--out', 'training.jsonl', '--max-per-class', '10']);
    expect(run.code).toBe(0);
    const lines = readFileSync(join(shared, 'training.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(40);
    for (const line of lines) {
      const row = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(row)).toEqual([
        'ts',
        'pump_id',
        'seq',
        ...FEATURE_NAMES,
        'state',
        'health_pct',
        'rul_h',
        'failure_mode',
      ]);
      for (const name of FEATURE_NAMES) expect(typeof row[name]).toBe('number');
      expect(PUMP_STATES).toContain(row.state);
    }
  });

  it('exports only the chosen pumps and the chosen time range, since inclusive and until exclusive', async () => {
    const pumps = [fleet[0]?.pump_id, fleet[2]?.pump_id] as string[];
    const since = FLEET_START_MS + 10 * HOUR;
    const until = FLEET_START_MS + 30 * HOUR;
    const run = await exportData(shared, [
      '--balance',
      'none',
      '--pumps',
      pumps.join(','),
      '--since',
      new Date(since).toISOString(),
      '--until',
      new Date(until).toISOString(),
      '--out',
      'filtered.csv',
    ]);
    expect(run.code).toBe(0);
    const { rows } = csvRows(join(shared, 'filtered.csv'));
    const wanted = fleet.filter((s) => pumps.includes(s.pump_id) && s.ts >= since && s.ts < until);
    expect(rows.map((r) => `${r[1]}@${r[0]}`).sort()).toEqual(
      wanted.map((s) => `${s.pump_id}@${s.ts}`).sort(),
    );
  });

  it('reads --since as an age counted back from now', async () => {
    // hourly samples from 72.5 h ago: the half-hour offset keeps every sample clear of the boundary
    const now = Date.now();
    const recent = [
      ...labelledFleet({ pumps: 2, etaH: 60, intervalS: 3600, startMs: now - 72 * HOUR + HOUR / 2 }),
    ];
    const dir = workdir(recent, []);
    const run = await exportData(dir, ['--balance', 'none', '--since', '48h', '--out', 'recent.csv']);
    expect(run.code).toBe(0);
    const { rows } = csvRows(join(dir, 'recent.csv'));
    const wanted = recent.filter((s) => s.ts >= now - 48 * HOUR);
    expect(wanted.length).toBeGreaterThan(0);
    expect(wanted.length).toBeLessThan(recent.length);
    expect(rows).toHaveLength(wanted.length);
  });
});

describe('export-training-data failures', () => {
  it('exits 1 naming the range and the store when nothing labelled is in range, and writes nothing', async () => {
    const run = await exportData(shared, ['--since', '2030-01-01', '--out', 'empty.csv']);
    expect(run.code).toBe(1);
    const error = run.logs.find((l) => l.level === 50);
    expect(error?.msg).toContain('from 2030-01-01T00:00:00.000Z on');
    expect(error?.msg).toContain(join(shared, 'data', 'pdm.sqlite'));
    expect(readdirSync(shared)).not.toContain('empty.csv');
  });

  it('exits 1 naming the path when the SQLite file is missing or is not a store', async () => {
    const dir = mkdtempSync(join(root, 'bad-'));
    writeFileSync(join(dir, 'junk.sqlite'), 'not a database at all');
    const [missing, junk] = await Promise.all([
      exportData(dir),
      exportData(dir, [], { SQLITE_PATH: 'junk.sqlite' }),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.logs.find((l) => l.level === 50)?.msg).toContain(
      `no SQLite store at ${join(dir, 'data', 'pdm.sqlite')}`,
    );
    expect(junk.code).toBe(1);
    expect(junk.logs.find((l) => l.level === 50)?.msg).toContain(join(dir, 'junk.sqlite'));
  });

  it('exits 2 with the problems and the usage for an unknown flag or a bad value', async () => {
    const run = await exportData(shared, ['--frobnicate', '--balance', 'oversample']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown option --frobnicate');
    expect(run.stderr).toContain('--balance: expected undersample or none');
    expect(run.stderr).toContain('Usage: pnpm export-training-data [options]');
    expect(run.stderr).toContain('--max-per-class N');
  });
});

describe('export-training-data interrupted', () => {
  it('exits 130 on SIGINT in the middle of the pass and leaves no file, finished or not', async () => {
    const dir = workdir(labelledFleet({ pumps: 40, etaH: 1000, maxSamples: 200_000 }), []);
    const cli = startService(
      'export-training-data',
      ['--balance', 'none', '--out', 'out/all.csv'],
      {},
      { cwd: dir },
    );
    await cli.waitForLine(/exporting every labelled sample/);
    cli.signal('SIGINT');
    expect(await cli.exited).toBe(130);
    expect(cli.logs().some((l) => l.msg === 'export interrupted; nothing was written')).toBe(true);
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });
});

describe('export-training-data on InfluxDB', () => {
  let influx: FakeInflux;
  let env: Record<string, string>;
  beforeAll(async () => {
    influx = await startFakeInflux({ buckets: ['pdm'] });
    const writer = createInfluxWriter({
      url: influx.url,
      token: influx.token,
      org: influx.org,
      bucket: influx.bucket,
      timeoutMs: 10_000,
    });
    const lines = [...fleet, ...raw].map((s) => encodeSample(s));
    for (let i = 0; i < lines.length; i += 5000) {
      expect(await writer.write(lines.slice(i, i + 5000))).toEqual({ kind: 'ok' });
    }
    env = { STORE: 'influxdb', INFLUX_URL: influx.url, INFLUX_TOKEN: influx.token, INFLUX_ORG: influx.org };
  });
  afterAll(async () => {
    await influx?.stop();
  });

  it('writes the same training set from InfluxDB as from SQLite holding the same samples', async () => {
    const args = (out: string) => ['--max-per-class', '25', '--seed', '9', '--out', out];
    const [fromInflux, fromSqlite] = await Promise.all([
      exportData(shared, args('influx.csv'), env),
      exportData(shared, args('sqlite.csv')),
    ]);
    expect(fromInflux.code).toBe(0);
    expect(fromSqlite.code).toBe(0);
    expect(summaryOf(fromInflux).source).toContain(influx.url);
    expect(readFileSync(join(shared, 'influx.csv'), 'utf8')).toBe(
      readFileSync(join(shared, 'sqlite.csv'), 'utf8'),
    );
  });

  it('exits 1 naming the URL when InfluxDB refuses the token or cannot be reached', async () => {
    const [refused, unreachable] = await Promise.all([
      exportData(shared, [], { ...env, INFLUX_TOKEN: 'wrong-token' }),
      exportData(shared, [], { ...env, INFLUX_URL: 'http://127.0.0.1:9' }),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.logs.find((l) => l.level === 50)?.msg).toMatch(new RegExp(`${influx.url}.*unauthorized`));
    expect(unreachable.code).toBe(1);
    expect(unreachable.logs.find((l) => l.level === 50)?.msg).toMatch(/http:\/\/127\.0\.0\.1:9.*unreachable/);
  });
});

describe('export-training-data on JSON Lines', () => {
  /** A small STRESS-clock fleet with chaos (dropouts, glitches), as the shipped model's script runs it. */
  const fleetFlags = '--pumps 8 --seed 11 --weibull-eta 0.0469 --interval-s 1 --post-failure-samples 15';
  const simulator = (extra: string[] = []) =>
    startService('training-simulator', [
      '--stdout',
      ...`${fleetFlags} --lifecycles 2 --chaos --log-level warn`.split(' '),
      ...extra,
    ]);

  it("reads the training simulator's --stdout piped into it, and writes what a store holding those samples gives", async () => {
    const dir = mkdtempSync(join(root, 'jsonl-'));
    const sim = simulator();
    const cli = startService(
      'export-training-data',
      ['--source', 'jsonl', '--input', '-', '--out', 'piped.csv'],
      {},
      { cwd: dir, stdin: 'pipe' },
    );
    sim.child.stdout?.pipe(cli.child.stdin as NodeJS.WritableStream);
    expect(await sim.exited).toBe(0);
    expect(await cli.exited, cli.stderr()).toBe(0);
    expect(cli.stdout().trim()).toBe(join(dir, 'piped.csv'));

    // The same samples, stored as acquisition stores them, exported from the store.
    const lines = sim.stdout().trimEnd().split('\n');
    const samples = lines.map((l) => (JSON.parse(l) as { payload: TrainingSample }).payload);
    fillStore(join(dir, 'data', 'pdm.sqlite'), samples);
    const fromStore = await exportData(dir, ['--out', 'stored.csv']);
    expect(fromStore.code).toBe(0);
    const piped = readFileSync(join(dir, 'piped.csv'), 'utf8');
    expect(piped).toBe(readFileSync(join(dir, 'stored.csv'), 'utf8'));
    expect(csvRows(join(dir, 'piped.csv')).rows.length).toBeGreaterThan(100);

    const summary = cli.logs().find((l) => l.msg === 'export complete') as Record<string, unknown>;
    expect(summary).toMatchObject({ source: 'JSON Lines on stdin', rows: lines.length });
    // nothing left beside the output: neither the temporary store nor a temporary file
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('leaves out the lines chaos corrupted, says how many and why, and exports the rest', async () => {
    const dir = mkdtempSync(join(root, 'jsonl-'));
    const sim = simulator(['--malformed-rate', '0.02']);
    expect(await sim.exited).toBe(0);
    writeFileSync(join(dir, 'fleet.jsonl'), sim.stdout());
    const run = await exportData(dir, ['--source', 'jsonl', '--input', 'fleet.jsonl', '--out', 'out.csv']);
    expect(run.code, run.stderr).toBe(0);
    const warning = run.logs.find(
      (l) => l.msg === 'lines that are no training or telemetry sample were left out',
    );
    expect(warning?.lines).toBeGreaterThan(0);
    expect(Object.keys(warning?.reasons as object).length).toBeGreaterThan(0);
    expect(summaryOf(run).source).toBe(`JSON Lines ${join(dir, 'fleet.jsonl')}`);
    expect(csvRows(join(dir, 'out.csv')).rows.length).toBeGreaterThan(100);
  });

  it('exits 1 when no line is a sample, naming the reasons and the first bad line, and writes nothing', async () => {
    const dir = mkdtempSync(join(root, 'jsonl-'));
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'junk.jsonl'), 'not json\n{"topic":"pdm/v1/alerts/p1","payload":{}}\n');
    const run = await exportData(dir, ['--source', 'jsonl', '--input', 'junk.jsonl', '--out', 'out/x.csv']);
    expect(run.code).toBe(1);
    expect(run.logs.find((l) => l.level === 50)?.msg).toMatch(
      /no samples in JSON Lines .*junk\.jsonl: none of its 2 lines is a training or telemetry sample \(not_json: 1, unknown_topic: 1\); line 1: not_json/,
    );
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });

  it('exits 2 when --source jsonl has no --input, or --input comes with another source', async () => {
    const [without, misplaced] = await Promise.all([
      exportData(shared, ['--source', 'jsonl']),
      exportData(shared, ['--input', 'fleet.jsonl']),
    ]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('--input: required with --source jsonl');
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('--input: read only with --source jsonl (the source is sqlite)');
    expect(without.stderr).toContain('--input FILE');
  });
});
