/** The generated files and their text, by location: what generate.ts writes and the test compares. */
import {
  DASHBOARD_UIDS,
  type DashboardName,
  importableDashboards,
  provisionedDashboards,
  toJson,
} from './dashboards.ts';

export const GRAFANA_DIR = new URL('../', import.meta.url);
export const PROVISIONED_DIR = new URL('dashboards/', GRAFANA_DIR);
export const IMPORT_DIR = new URL('import/', GRAFANA_DIR);

export function generatedFiles(): Map<URL, string> {
  const files = new Map<URL, string>();
  const provisioned = provisionedDashboards();
  const importable = importableDashboards();
  for (const name of Object.keys(DASHBOARD_UIDS) as DashboardName[]) {
    files.set(new URL(`${DASHBOARD_UIDS[name]}.json`, PROVISIONED_DIR), toJson(provisioned[name]));
    files.set(new URL(`${DASHBOARD_UIDS[name]}.json`, IMPORT_DIR), toJson(importable[name]));
  }
  return files;
}
