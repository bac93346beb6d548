/**
 * `npm run -w dashboards build`: writes every dashboard's JSON to
 * `dashboards/generated/`, removing files of dashboards that no longer exist,
 * and the alert rules to `dashboards/provisioning/alerting/agenttrace-rules.json`.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildAlertRules, renderAlertRules } from './alerts.js';
import { buildDashboards, renderDashboard } from './index.js';

const OUT_DIR = fileURLToPath(new URL('../generated/', import.meta.url));
const ALERTING_DIR = fileURLToPath(new URL('../provisioning/alerting/', import.meta.url));

mkdirSync(OUT_DIR, { recursive: true });
const built = buildDashboards();
const files = new Set(built.map((d) => d.file));
for (const stale of readdirSync(OUT_DIR).filter((f) => f.endsWith('.json') && !files.has(f)))
  rmSync(OUT_DIR + stale);
for (const { file, dashboard } of built) writeFileSync(OUT_DIR + file, renderDashboard(dashboard));
console.log(`wrote ${built.length} dashboards to ${OUT_DIR}`);
mkdirSync(ALERTING_DIR, { recursive: true });
writeFileSync(ALERTING_DIR + 'agenttrace-rules.json', renderAlertRules(buildAlertRules()));
console.log(`wrote the alert rules to ${ALERTING_DIR}agenttrace-rules.json`);
