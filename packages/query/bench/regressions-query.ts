/**
 * Regressions benchmark: generates N spans (default 10,000,000; 8 spans a
 * run: the run span and seven steps, two of them priced model calls) over 7
 * days inside a temporary chDB store, lets the materialized views fold them,
 * then times `listRegressions` (median of 3) over all history, over the last
 * day, for one agent's explicit pair and by variant. Prints one JSON line.
 *
 * Run: `npx tsx packages/query/bench/regressions-query.ts`
 * Smaller: `BENCH_SPANS=1000000 npx tsx packages/query/bench/regressions-query.ts`
 * `BENCH_STORE_PATH=<dir>` keeps the loaded store there; run again with the
 * same path, it is migrated and queried without loading again. The CPU time
 * the process spent on each query (chDB runs in the process) is printed
 * beside its wall time.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { migrate } from '@agenttrace/clickhouse-exporter';
import { listRegressions, type RegressionFiltersInput } from '../src/index.js';

const SPANS_PER_RUN = 8;
const DAYS = 7;
const REPEATS = 3;
const START = '2026-03-01 00:00:00';

/** Runs of 6 agents; version 2.0.0 appears on day 4 and fails and costs more. */
function generateSql(spans: number): string {
  const runs = Math.floor(spans / SPANS_PER_RUN);
  const h = (salt: number) => `cityHash64(r, ${salt})`;
  return `
INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind,
    ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage)
SELECT
    toDateTime64('${START}', 9, 'UTC') + toIntervalMillisecond(at_ms + k * 150) AS Timestamp,
    lower(concat(hex(${h(1)}), hex(${h(2)}))) AS TraceId,
    lower(hex(cityHash64(n, 3))) AS SpanId,
    if(k = 0, '', lower(hex(cityHash64(r * ${SPANS_PER_RUN}, 3)))) AS ParentSpanId,
    '' AS TraceState,
    if(k = 0, concat('invoke_agent ', agent), concat(step_type, ' ', step_name)) AS SpanName,
    'Internal' AS SpanKind,
    'bench' AS ServiceName,
    map('service.name', 'bench', 'deployment.environment.name', 'production') AS ResourceAttributes,
    '@agenttrace/sdk' AS ScopeName,
    '0.1.0' AS ScopeVersion,
    mapFilter((key, value) -> value != '', if(k = 0,
        map('gen_ai.operation.name', 'invoke_agent', 'gen_ai.agent.name', agent,
            'gen_ai.agent.version', version, 'agenttrace.run.id', run_id,
            'agenttrace.run.status', run_status, 'agenttrace.run.origin', 'root',
            'agenttrace.variant', variant),
        map('agenttrace.run.id', run_id, 'agenttrace.step.type', step_type,
            'gen_ai.agent.name', agent, 'gen_ai.agent.version', version, 'agenttrace.variant', variant,
            'agenttrace.step.name', step_name,
            'gen_ai.operation.name', if(step_type = 'model', 'chat', 'execute_tool'),
            'gen_ai.request.model', if(step_type = 'model', model, ''),
            'gen_ai.response.model', if(step_type = 'model', model, ''),
            'gen_ai.provider.name', if(step_type = 'model', 'openai', ''),
            'gen_ai.tool.name', if(step_type = 'tool', step_name, ''),
            'gen_ai.usage.input_tokens', if(step_type = 'model', toString(200 + cityHash64(n, 20) % 4000), ''),
            'gen_ai.usage.output_tokens', if(step_type = 'model', toString(20 + cityHash64(n, 21) % 800), ''),
            'agenttrace.step.attempt', '1'))) AS SpanAttributes,
    toUInt64(if(k = 0, 800 + cityHash64(r, 30) % 20000 + if(version = '2.0.0', 500, 0),
        20 + cityHash64(n, 31) % 3000) * 1000000) AS Duration,
    if(k = 0 AND run_status = 'failure', 'Error', 'Unset') AS StatusCode,
    '' AS StatusMessage
FROM (
    SELECT
        number AS n,
        intDiv(number, ${SPANS_PER_RUN}) AS r,
        number % ${SPANS_PER_RUN} AS k,
        intDiv(r * ${DAYS * 86_400_000}, ${runs}) AS at_ms,
        ['support-bot', 'research-bot', 'sales-agent', 'triage', 'coder', 'planner'][1 + ${h(6)} % 6] AS agent,
        if(at_ms >= ${3 * 86_400_000} AND ${h(7)} % 2 = 0, '2.0.0', ['1.0.0', '1.1.0'][1 + ${h(7)} % 2]) AS version,
        ['a', 'b', ''][1 + ${h(8)} % 3] AS variant,
        if(${h(10)} % 100 < if(version = '2.0.0', 8, 5), 'failure', 'success') AS run_status,
        toString(reinterpretAsUUID(concat(reinterpretAsString(${h(4)}), reinterpretAsString(${h(5)})))) AS run_id,
        ['', 'plan', 'tool', 'model', 'tool', 'tool', 'model', 'tool'][k + 1] AS step_type,
        ['', 'decide', 'fetch_docs', 'draft', 'search', 'lookup', 'refine', 'reply'][k + 1] AS step_name,
        if(version = '2.0.0', 'gpt-4o', 'gpt-4o-mini') AS model
    FROM numbers(${runs * SPANS_PER_RUN})
)`;
}

/** Median of the wall time and of the process's CPU time (user + system), in ms. */
async function median(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await fn();
    walls.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1000);
  }
  const mid = (a: number[]) =>
    Math.round(a.sort((x, y) => x - y)[Math.floor(REPEATS / 2)] ?? Number.NaN);
  return { wall: mid(walls), cpu: mid(cpus) };
}

async function main(): Promise<void> {
  const given = process.env.BENCH_SPANS;
  const spans = Number(given ?? 10_000_000);
  if (!Number.isSafeInteger(spans) || spans < SPANS_PER_RUN)
    throw new Error(`BENCH_SPANS must be an integer >= ${SPANS_PER_RUN} (got ${given})`);
  const keep = process.env.BENCH_STORE_PATH;
  const reuse = keep !== undefined && existsSync(keep);
  const path = keep ?? mkdtempSync(join(tmpdir(), 'agenttrace-bench-regressions-'));
  const client = createClient({ connection: createChdbConnection({ path }) as never });
  try {
    await migrate(client);
    const started = performance.now();
    if (!reuse) await client.command({ query: generateSql(spans) });
    const loadMs = reuse ? 0 : Math.round(performance.now() - started);
    const all = { since: '2026-03-01T00:00:00Z', until: '2026-03-08T00:00:00Z' };
    const queries: Record<string, RegressionFiltersInput> = {
      allHistoryEveryAgent: all,
      lastDayEveryAgent: { since: '2026-03-07T00:00:00Z', until: '2026-03-08T00:00:00Z' },
      oneAgentExplicitPair: { ...all, agent: 'triage', baseline: '1.1.0', candidate: '2.0.0' },
      byVariantEveryAgent: { ...all, dimension: 'variant' },
    };
    const timings: Record<string, number> = {};
    for (const [name, filters] of Object.entries(queries)) {
      const { wall, cpu } = await median(() => listRegressions(client, filters));
      timings[`${name}Ms`] = wall;
      timings[`${name}CpuMs`] = cpu;
    }
    const sample = await listRegressions(client, queries.oneAgentExplicitPair);
    console.log(
      JSON.stringify({
        bench: 'regressions-query',
        spans,
        runs: Math.floor(spans / SPANS_PER_RUN),
        loadMs,
        ...timings,
        loadAverage: loadavg().map((l) => Math.round(l * 10) / 10),
        sample: sample.map((r) => [
          r.metric,
          r.baseline_runs,
          r.candidate_runs,
          r.p_value,
          r.verdict,
        ]),
      }),
    );
  } finally {
    await client.close();
    if (keep === undefined) rmSync(path, { recursive: true, force: true });
  }
}

await main();
