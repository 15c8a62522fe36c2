/**
 * The Grafana deployment's files, checked without a Grafana (none runs on this project's machines): the
 * committed dashboards are what src/ generates, hold what the SDK's Dashboard and Panel require, and query
 * only Flux that packages/influx's grafana suite runs against the fake InfluxDB (and, opt-in, a real one);
 * the provisioning YAML parses, and takes its settings and token from the environment Grafana expands.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sdk from '@grafana/grafana-foundation-sdk/dashboard';
import { GRAFANA_QUERIES, PUMP_VARIABLE } from '@pdm/influx';
import { REPO_ROOT } from '@pdm/testkit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { environmentOf, serviceBlocks } from '../compose-file.ts';
import { SECRET_VARIABLES } from '../secrets.ts';
import {
  DASHBOARD_UIDS,
  DATASOURCE_INPUT,
  DATASOURCE_TYPE,
  DATASOURCE_UID,
  importableDashboards,
  provisionedDashboards,
} from './src/dashboards.ts';
import { GRAFANA_DIR, generatedFiles, IMPORT_DIR, PROVISIONED_DIR } from './src/files.ts';

type Json = Record<string, unknown>;

/** What Grafana replaces with the environment variable `name` when it loads a provisioning file. */
const fromEnv = (name: string) => `\${${name}}`;

const read = (url: URL) => readFileSync(url, 'utf8');
const committed = (dir: URL): Json[] =>
  Object.values(DASHBOARD_UIDS).map((uid) => JSON.parse(read(new URL(`${uid}.json`, dir))) as Json);

/** Every panel, with the queries it runs: its targets. */
function panelsOf(board: Json): Json[] {
  return (board.panels as Json[] | undefined) ?? [];
}

/** Every Flux query a dashboard holds: panels, template variables and annotations. */
function queriesOf(board: Json): { where: string; datasource: unknown; query: unknown }[] {
  const panels = panelsOf(board).flatMap((p) =>
    ((p.targets as Json[] | undefined) ?? []).map((t) => ({
      where: `panel ${String(p.title)}`,
      datasource: t.datasource,
      query: t.query,
    })),
  );
  const variables = (((board.templating as Json).list as Json[] | undefined) ?? []).map((v) => ({
    where: `variable ${String(v.name)}`,
    datasource: v.datasource,
    query: v.query,
  }));
  const annotations = (((board.annotations as Json).list as Json[] | undefined) ?? []).map((a) => ({
    where: `annotation ${String(a.name)}`,
    datasource: (a.target as Json).datasource,
    query: (a.target as Json).query,
  }));
  return [...panels, ...variables, ...annotations];
}

/** `$name` and `${name…}` references, by name (`${__field.labels.pump_id}` → `__field.labels.pump_id`). */
function dollarReferences(text: string): string[] {
  return [...text.matchAll(/\$\{([^}]*)\}|\$([A-Za-z_]\w*)/g)].map((m) => (m[1] ?? m[2]) as string);
}

describe('the Grafana dashboards', () => {
  it('are committed as the generator writes them (run pnpm grafana-dashboards after a change)', () => {
    for (const [url, text] of generatedFiles()) expect(read(url), url.pathname).toBe(text);
    const names = Object.values(DASHBOARD_UIDS).map((uid) => `${uid}.json`);
    expect(readdirSync(PROVISIONED_DIR).sort()).toEqual(names.sort());
    expect(readdirSync(IMPORT_DIR).sort()).toEqual(names.sort());
  });

  it('have every field the SDK’s Dashboard requires, and each panel its Panel’s', () => {
    const dashboardKeys = Object.keys(sdk.defaultDashboard());
    const panelKeys = Object.keys(sdk.defaultPanel());
    for (const board of [...committed(PROVISIONED_DIR), ...committed(IMPORT_DIR)]) {
      expect(Object.keys(board), String(board.title)).toEqual(expect.arrayContaining(dashboardKeys));
      expect(board.schemaVersion).toBe(sdk.defaultDashboard().schemaVersion);
      const panels = panelsOf(board);
      expect(panels.length).toBeGreaterThan(0);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const panel of panels) {
        expect(Object.keys(panel), String(panel.title)).toEqual(expect.arrayContaining(panelKeys));
        expect(['timeseries', 'table', 'state-timeline']).toContain(panel.type);
        expect(panel.gridPos).toMatchObject({ w: expect.any(Number), h: expect.any(Number) });
      }
    }
  });

  it('give every panel the data source and a Flux query that the grafana suite runs against the fake InfluxDB', () => {
    const ds = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };
    const used = new Set<unknown>();
    for (const board of committed(PROVISIONED_DIR)) {
      for (const panel of panelsOf(board)) {
        expect(panel.datasource, String(panel.title)).toEqual(ds);
        expect((panel.targets as Json[] | undefined)?.length, String(panel.title)).toBeGreaterThan(0);
      }
      for (const { where, datasource, query } of queriesOf(board)) {
        expect(datasource, where).toEqual(ds);
        expect(GRAFANA_QUERIES, where).toContain(query);
        used.add(query);
      }
    }
    // and no query of the suite goes unused
    expect(GRAFANA_QUERIES.filter((q) => !used.has(q))).toEqual([]);
  });

  it('offer the same dashboards for import, asking for the data source instead of naming a uid', () => {
    const provisioned = provisionedDashboards();
    const importable = importableDashboards();
    for (const [name, board] of Object.entries(importable)) {
      const { __inputs, __requires, ...rest } = board;
      expect(__inputs).toEqual([expect.objectContaining({ name: DATASOURCE_INPUT, type: 'datasource' })]);
      expect(__requires).toContainEqual(expect.objectContaining({ type: 'datasource', id: DATASOURCE_TYPE }));
      const text = JSON.stringify(rest);
      expect(text, name).not.toContain(DATASOURCE_UID);
      expect(JSON.parse(text.replaceAll(`\${${DATASOURCE_INPUT}}`, DATASOURCE_UID))).toEqual(
        JSON.parse(JSON.stringify(provisioned[name as keyof typeof provisioned])),
      );
    }
  });

  it('use only Grafana’s own variables: the pump, built-ins, and the import’s data source; never the environment', () => {
    const env = new Set([...SECRET_VARIABLES, 'INFLUX_URL', 'INFLUX_TOKEN', 'INFLUX_ORG', 'INFLUX_BUCKET']);
    for (const [dir, allowed] of [
      [PROVISIONED_DIR, [PUMP_VARIABLE]],
      [IMPORT_DIR, [PUMP_VARIABLE, DATASOURCE_INPUT]],
    ] as const) {
      // the pump dashboard's queries use the variable: the check below has something to pass
      expect(
        dollarReferences(
          committed(dir)
            .map((b) => JSON.stringify(b))
            .join(),
        ),
      ).toContain(PUMP_VARIABLE);
      for (const board of committed(dir)) {
        const names = dollarReferences(JSON.stringify(board));
        const foreign = names.filter(
          (n) => !(allowed as readonly string[]).includes(n) && !n.startsWith('__'),
        );
        expect(foreign, String(board.title)).toEqual([]);
        expect(names.filter((n) => env.has(n))).toEqual([]);
      }
    }
  });
});

describe('the Grafana provisioning files', () => {
  const datasourceFile = new URL('provisioning/datasources/influxdb.yaml', GRAFANA_DIR);
  const providerFile = new URL('provisioning/dashboards/pump-pdm.yaml', GRAFANA_DIR);
  const compose = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  const grafanaEnv = environmentOf(serviceBlocks(compose).get('grafana') ?? '');

  it('provision an InfluxDB data source with Flux, under the uid the dashboards name', () => {
    const { apiVersion, datasources } = parse(read(datasourceFile)) as {
      apiVersion: number;
      datasources: Json[];
    };
    expect(apiVersion).toBe(1);
    expect(datasources).toHaveLength(1);
    expect(datasources[0]).toMatchObject({
      uid: DATASOURCE_UID,
      type: DATASOURCE_TYPE,
      access: 'proxy',
      url: fromEnv('INFLUX_URL'),
      jsonData: {
        version: 'Flux',
        organization: fromEnv('INFLUX_ORG'),
        defaultBucket: fromEnv('INFLUX_BUCKET'),
      },
      secureJsonData: { token: fromEnv('INFLUX_TOKEN') },
    });
  });

  it('take every $VARIABLE from the environment that docker-compose.yml gives Grafana, and hold no literal secret', () => {
    for (const file of [datasourceFile, providerFile]) {
      const text = read(file);
      const withoutComments = text
        .split('\n')
        .filter((line) => !/^\s*#/.test(line))
        .join('\n');
      // Grafana expands $NAME and ${NAME} in provisioning files; ${NAME} is the form used here
      expect(withoutComments.match(/\$(?!\{[A-Z][A-Z0-9_]*\})/g), file.pathname).toBeNull();
      for (const name of dollarReferences(withoutComments)) expect(grafanaEnv.has(name), name).toBe(true);
      const values: string[] = [];
      const walk = (node: unknown) => {
        if (typeof node === 'string') values.push(node);
        else if (node && typeof node === 'object') for (const v of Object.values(node)) walk(v);
      };
      walk(parse(text));
      // a token or password: a long run of letters, digits, - and _ with nothing else around it
      expect(values.filter((v) => /^[A-Za-z0-9_+=-]{20,}$/.test(v))).toEqual([]);
    }
    // and each secret Grafana gets is a required variable of .env, from pnpm setup-secrets
    for (const [name, value] of grafanaEnv) {
      if (/TOKEN|PASSWORD|SECRET/.test(name)) expect(value, name).toMatch(/^\$\{[A-Z0-9_]+:\?[^}]+\}$/);
    }
  });

  it('load the dashboards from where docker-compose.yml mounts them, into one folder, not editable', () => {
    const { providers } = parse(read(providerFile)) as { providers: Json[] };
    expect(providers).toHaveLength(1);
    const provider = providers[0] as Json;
    expect(provider).toMatchObject({ type: 'file', allowUiUpdates: false, disableDeletion: true });
    const path = (provider.options as Json).path as string;
    expect(compose).toContain(`- ./deploy/grafana/dashboards:${path}:ro`);
  });
});
