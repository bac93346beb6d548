/**
 * The alert rule provisioning file: what `build.ts` writes (no drift), valid
 * against Grafana's alerting provisioning file format, and every rule's query
 * run on the real engine over runs made with the SDK, firing its threshold
 * where it should and not over an empty window.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AllowlistSpanProcessor } from '@agenttrace/sdk';
import { ClickHouseSpanExporter } from '@agenttrace/clickhouse-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMisbehavingAgent } from '../../examples/misbehaving-agent.js';
import {
  ALERTED_SIGNALS,
  ALERT_FOLDER,
  ALERT_THRESHOLDS,
  buildAlertRules,
  renderAlertRules,
  type AlertRule,
} from '../src/alerts.js';
import { DATASOURCE_UID } from '../src/datasource.js';
import { grafanaAlertingFile } from './support/grafana-alerting-schema.js';
import { openEngine, runQuery, type TestEngine } from './support/engine.js';
import { renderQuery } from './support/grafana-macros.js';

const FILE = fileURLToPath(
  new URL('../provisioning/alerting/agenttrace-rules.json', import.meta.url),
);
const PROVIDER = fileURLToPath(
  new URL('../provisioning/dashboards/agenttrace.yaml', import.meta.url),
);
const committed = JSON.parse(readFileSync(FILE, 'utf8')) as unknown;
const rules = buildAlertRules().groups.flatMap((g) => g.rules);

let engine: TestEngine;
let from: Date;
let to: Date;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  engine = await openEngine();
  const exporter = new ClickHouseSpanExporter({
    store: engine.store,
    database: engine.database,
    flushIntervalMs: 20,
  });
  const provider = new BasicTracerProvider({
    spanProcessors: [new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter))],
  });
  // From the start of the minute: retry_rate is detected at the start of its minute.
  from = new Date(Math.floor((Date.now() - 1000) / 60_000) * 60_000);
  await runMisbehavingAgent(provider);
  await provider.forceFlush();
  await exporter.forceFlush();
  await provider.shutdown();
  to = new Date(Date.now() + 1000);
  await engine.store.client.command({ query: `USE ${engine.database}` });
}, 120_000);

afterAll(async () => {
  await engine?.store.close();
});

/** Rule `r`'s query over `[start, end]` as the plugin sends it; its one `value`. */
async function valueOf(r: AlertRule, start: Date, end: Date): Promise<number> {
  const model = r.data[0]?.model as { rawSql: string };
  const sql = renderQuery(model.rawSql, [], { from: start, to: end, intervalMs: 60_000 });
  const result = await runQuery(engine, sql);
  expect(result.meta.map((m) => m.name)).toEqual(['value']);
  expect(result.data).toHaveLength(1);
  return Number(result.data[0]?.[0]);
}

/** Whether the rule's threshold (C) fires for `value`. */
function fires(r: AlertRule, value: number): boolean {
  const c = r.data.find((d) => d.refId === r.condition)?.model as {
    conditions: { evaluator: { type: string; params: number[] } }[];
  };
  const evaluator = c.conditions[0]?.evaluator;
  const limit = evaluator?.params[0] ?? Number.NaN;
  return evaluator?.type === 'gt' ? value > limit : value < limit;
}

describe('alert rules', () => {
  it('are exactly what `npm run -w dashboards build` writes', () => {
    expect(readFileSync(FILE, 'utf8')).toBe(renderAlertRules(buildAlertRules()));
  });

  it("validate against Grafana's alerting provisioning file format", () => {
    const parsed = grafanaAlertingFile.safeParse(committed);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('refuse what Grafana refuses (the validator is not a pass-through)', () => {
    const file = buildAlertRules();
    const broken = structuredClone(file);
    const first = broken.groups[0]!.rules[0]!;
    first.condition = 'Z';
    expect(grafanaAlertingFile.safeParse(broken).success).toBe(false);
    const noUid = structuredClone(file);
    noUid.groups[0]!.rules[0]!.uid = '';
    expect(grafanaAlertingFile.safeParse(noUid).success).toBe(false);
    const badInterval = structuredClone(file);
    badInterval.groups[0]!.interval = 'every minute';
    expect(grafanaAlertingFile.safeParse(badInterval).success).toBe(false);
  });

  it('cover error rate, cost per hour, p95 latency and every signal, in the dashboards folder', () => {
    expect(rules.map((r) => r.uid)).toEqual([
      'agenttrace-error-rate',
      'agenttrace-cost-per-hour',
      'agenttrace-p95-latency',
      ...ALERTED_SIGNALS.map((s) => `agenttrace-signal-${s.replaceAll('_', '-')}`),
    ]);
    expect(readFileSync(PROVIDER, 'utf8')).toContain(`folder: ${ALERT_FOLDER}\n`);
    for (const r of rules) expect(r.data[0]?.datasourceUid).toBe(DATASOURCE_UID);
  });

  it('take their thresholds from the variables', () => {
    const custom = buildAlertRules({ ...ALERT_THRESHOLDS, costPerHourUsd: 123 });
    const cost = custom.groups[0]!.rules.find((r) => r.uid === 'agenttrace-cost-per-hour')!;
    expect(JSON.stringify(cost.data[2]?.model)).toContain('[123]');
  });

  it('fire every signal rule on the misbehaving agent, and none over an empty window', async () => {
    const empty = [
      new Date(from.getTime() - 7_200_000),
      new Date(from.getTime() - 3_600_000),
    ] as const;
    for (const r of rules.filter((x) => x.uid.startsWith('agenttrace-signal-'))) {
      const value = await valueOf(r, from, to);
      expect([r.uid, fires(r, value)]).toEqual([r.uid, true]);
      expect([r.uid, fires(r, await valueOf(r, ...empty))]).toEqual([r.uid, false]);
    }
  });

  it('compute error rate, cost and p95 as agent_runs does', async () => {
    const byUid = new Map(rules.map((r) => [r.uid, r]));
    const [expected] = (
      await runQuery(
        engine,
        `SELECT countIf(status = 'failure') / count(), sum(cost_usd), quantile(0.95)(duration_ms)
         FROM agent_runs`,
      )
    ).data as number[][];
    expect(await valueOf(byUid.get('agenttrace-error-rate')!, from, to)).toBeCloseTo(
      expected![0]!,
      9,
    );
    const cost = await valueOf(byUid.get('agenttrace-cost-per-hour')!, from, to);
    expect(cost).toBeCloseTo(expected![1]!, 9);
    // The misbehaving agent spends about $1.68: under the $10/h default, over $1/h.
    expect(fires(byUid.get('agenttrace-cost-per-hour')!, cost)).toBe(false);
    const strict = buildAlertRules({ ...ALERT_THRESHOLDS, costPerHourUsd: 1 });
    expect(fires(strict.groups[0]!.rules[1]!, cost)).toBe(true);
    expect(await valueOf(byUid.get('agenttrace-p95-latency')!, from, to)).toBeCloseTo(
      expected![2]!,
      6,
    );
  });
});
