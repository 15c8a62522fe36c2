/**
 * Writes the dashboards' JSON: dashboards/ (provisioned, the data source by uid) and import/ (for
 * another Grafana, with a data source input). `pnpm grafana-dashboards`; dashboards.test.ts fails while
 * the committed files differ from what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { generatedFiles } from './files.ts';

for (const [path, text] of generatedFiles()) {
  mkdirSync(new URL('.', path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${path.pathname}`);
}
