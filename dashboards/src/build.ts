/**
 * `npm run -w dashboards build`: writes every dashboard's JSON to
 * `dashboards/generated/`, removing files of dashboards that no longer exist.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDashboards, renderDashboard } from './index.js';

const OUT_DIR = fileURLToPath(new URL('../generated/', import.meta.url));

mkdirSync(OUT_DIR, { recursive: true });
const built = buildDashboards();
const files = new Set(built.map((d) => d.file));
for (const stale of readdirSync(OUT_DIR).filter((f) => f.endsWith('.json') && !files.has(f)))
  rmSync(OUT_DIR + stale);
for (const { file, dashboard } of built) writeFileSync(OUT_DIR + file, renderDashboard(dashboard));
console.log(`wrote ${built.length} dashboards to ${OUT_DIR}`);
