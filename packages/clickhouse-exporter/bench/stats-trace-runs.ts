/**
 * Times `agent_stats` by agent (migration 0028: steps of traces without a run
 * span moved to their run's name; 0031: its corrections read narrow tables
 * filled on insert), the same on 0028's definition (created beside it as
 * `agent_stats_0028`, same data) and through `agent_stats_hourly`,
 * on N spans (default 1,000,000) in a temporary chDB store: SDK runs of 8
 * spans (a run span and 7 steps) and, for every tenth trace, an
 * OpenLLMetry-shaped trace of 2 spans (a chat call and a nested provider span
 * for the same call) without a run span. Prints one JSON line.
 *
 * Run: `npx tsx packages/clickhouse-exporter/bench/stats-trace-runs.ts`
 * (`BENCH_SPANS=200000` for a smaller store).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { migrate, planMigrations } from '../src/migrate.js';

const DB = 'bench';
const REPEATS = 3;
const SPANS = Number(process.env['BENCH_SPANS'] ?? 1_000_000);

/** n-th span: traces of 8 SDK spans, every tenth trace replaced by a 2-span foreign trace. */
const GENERATE = `
INSERT INTO ${DB}.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
    ResourceAttributes, ScopeName, SpanAttributes, Duration, StatusCode)
SELECT
    toDateTime64('2026-03-01 00:00:00', 9, 'UTC') + toIntervalMillisecond(r * 4000 + k * 150),
    lower(concat(hex(cityHash64(r, 1)), hex(cityHash64(r, 2)))),
    lower(hex(cityHash64(n, 3))),
    if(k = 0, '', lower(hex(cityHash64(r * 8, 3)))),
    if(foreign, 'openai.chat', if(k = 0, 'invoke_agent bot', 'chat gpt-4o')),
    'Client', svc, map('service.name', svc), 'bench',
    if(foreign,
        map('gen_ai.operation.name', 'chat', 'gen_ai.provider.name', 'openai', 'gen_ai.request.model', 'gpt-4o',
            'gen_ai.usage.input_tokens', '100', 'gen_ai.usage.output_tokens', '20'),
        if(k = 0,
            map('gen_ai.operation.name', 'invoke_agent', 'gen_ai.agent.name', 'bot', 'agenttrace.run.id', run_id,
                'agenttrace.run.status', 'success'),
            map('gen_ai.operation.name', 'chat', 'agenttrace.step.type', 'model', 'agenttrace.run.id', run_id,
                'gen_ai.agent.name', 'bot', 'gen_ai.request.model', 'gpt-4o', 'gen_ai.provider.name', 'openai',
                'gen_ai.usage.input_tokens', '100', 'gen_ai.usage.output_tokens', '20'))),
    toUInt64(50 + cityHash64(n, 4) % 2000) * 1000000, 'Unset'
FROM (
    SELECT number AS n, intDiv(number, 8) AS r, number % 8 AS k, r % 10 = 0 AS foreign,
        ['checkout', 'helpdesk', 'tools'][1 + r % 3] AS svc, lower(hex(cityHash64(r, 5))) AS run_id
    FROM numbers(${SPANS})
)
WHERE NOT foreign OR k < 2`;

const QUERIES: Record<string, string> = {
  // the floor: the step rollup alone, without 0025's and 0028's query-time parts
  'agent_step_stats by agent': `SELECT agent, countMerge(steps) AS steps FROM ${DB}.agent_step_stats
    GROUP BY agent ORDER BY agent`,
  'agent_trace_runs count': `SELECT count() AS n FROM ${DB}.agent_trace_runs`,
  'agent_stats by agent': `SELECT agent, sum(steps) AS steps, sum(input_tokens) AS input, sum(cost_usd) AS cost
    FROM ${DB}.agent_stats GROUP BY agent ORDER BY agent`,
  // the same query on 0028's definition (query-time work over otel_traces), same data
  'agent_stats by agent (0028 view)': `SELECT agent, sum(steps) AS steps, sum(input_tokens) AS input,
    sum(cost_usd) AS cost FROM ${DB}.agent_stats_0028 GROUP BY agent ORDER BY agent`,
  'agent_stats_hourly by agent per day': `SELECT agent, toDate(bucket) AS day, sum(runs) AS runs, sum(steps) AS steps
    FROM ${DB}.agent_stats_hourly GROUP BY agent, day ORDER BY agent, day`,
};

/** 0028's agent_stats as it was rendered, created beside the current one as agent_stats_0028. */
function view0028(): string {
  const statement = planMigrations({ database: DB })
    .find((m) => m.version === 28)
    ?.statements.find((text) => text.includes('CREATE OR REPLACE VIEW'));
  if (statement === undefined) throw new Error('migration 0028 has no CREATE OR REPLACE VIEW');
  return statement.replace('`bench`.`agent_stats`', '`bench`.`agent_stats_0028`');
}

async function main(): Promise<void> {
  const path = mkdtempSync(join(tmpdir(), 'agenttrace-bench-trace-runs-'));
  const client = createClient({ connection: createChdbConnection({ path }) as never });
  try {
    await migrate(client, { database: DB });
    await client.command({ query: view0028() });
    const t0 = performance.now();
    await client.command({ query: GENERATE });
    const loadMs = performance.now() - t0;
    const count = await (
      await client.query({
        query: `SELECT count() AS n FROM ${DB}.otel_traces`,
        format: 'JSONEachRow',
      })
    ).json<{ n: string }>();
    const results: Record<string, { median_ms: number; rows: unknown[] }> = {};
    for (const [name, query] of Object.entries(QUERIES)) {
      const times: number[] = [];
      let rows: unknown[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const t = performance.now();
        rows = await (await client.query({ query, format: 'JSONEachRow' })).json();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      results[name] = {
        median_ms: Math.round(times[Math.floor(REPEATS / 2)] ?? 0),
        rows: rows.slice(0, 4),
      };
    }
    process.stdout.write(
      `${JSON.stringify({ spans: Number(count[0]?.n), load_ms: Math.round(loadMs), loadavg: loadavg()[0], results })}\n`,
    );
  } finally {
    await client.close();
    rmSync(path, { recursive: true, force: true });
  }
}

await main();
