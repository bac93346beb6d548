/**
 * Stats-query benchmark: generates N spans (default 10,000,000) inside a
 * temporary chDB store, in the collector's `otel_traces` shape with the SDK's
 * attributes, then times the stats views (served by the materialized rollup)
 * against the same answer computed from the raw spans. Prints one JSON line.
 *
 * Run: `npx tsx packages/clickhouse-exporter/bench/stats-query.ts`
 * Smoke run: `AGENTTRACE_BENCH_SPANS=200000 npx tsx …/stats-query.ts` (or
 * `BENCH_SPANS=1000000`); `BENCH_ONLY=signals` times only the signal queries;
 * `BENCH_STORE_PATH=<dir>` keeps the loaded store there; run again with the
 * same path, it is migrated (new migrations backfill from its spans) and
 * queried without loading again. Signal queries print the CPU time the
 * process spent on them (chDB runs in the process) beside the wall time.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { migrate } from '../src/migrate.js';

const SPANS_PER_RUN = 8;
const DAYS = 7;
const REPEATS = 5;
/** Fewer repeats for the slow raw-span queries keep the whole run near 3 minutes. */
const RAW_REPEATS = 3;
const DB = 'bench';

/** Spans as a run span and seven steps; k is the span's index in its run. */
function generateSql(spans: number): string {
  const runs = Math.floor(spans / SPANS_PER_RUN);
  const h = (salt: number) => `cityHash64(r, ${salt})`;
  const pick = (salt: number, values: string[]) =>
    `[${values.map((v) => `'${v}'`).join(', ')}][1 + ${h(salt)} % ${values.length}]`;
  return `
INSERT INTO ${DB}.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind,
    ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage)
SELECT
    toDateTime64('2026-03-01 00:00:00', 9, 'UTC') + toIntervalMillisecond(intDiv(r * ${DAYS * 86_400_000}, ${runs}) + k * 150) AS Timestamp,
    lower(concat(hex(${h(1)}), hex(${h(2)}))) AS TraceId,
    lower(hex(cityHash64(n, 3))) AS SpanId,
    if(k = 0, '', lower(hex(cityHash64(r * ${SPANS_PER_RUN}, 3)))) AS ParentSpanId,
    '' AS TraceState,
    if(k = 0, concat('invoke_agent ', agent), concat(step_type, ' ', step_name)) AS SpanName,
    if(k IN (3, 4, 5, 6), 'Client', 'Internal') AS SpanKind,
    service AS ServiceName,
    map('service.name', service, 'deployment.environment.name', 'production') AS ResourceAttributes,
    '@agenttrace/sdk' AS ScopeName,
    '0.1.0' AS ScopeVersion,
    mapFilter((key, value) -> value != '', if(k = 0,
        map('gen_ai.operation.name', 'invoke_agent', 'gen_ai.agent.name', agent,
            'gen_ai.agent.version', version, 'agenttrace.run.id', run_id,
            'agenttrace.run.status', run_status, 'agenttrace.run.origin', 'root',
            'agenttrace.variant', variant, 'agenttrace.prompt.template', 'default',
            'agenttrace.failure.type', if(run_status = 'success', '', 'tool'),
            'agenttrace.failure.code', if(run_status = 'success', '', 'timeout')),
        map('agenttrace.run.id', run_id, 'agenttrace.step.type', step_type,
            'gen_ai.agent.name', agent, 'gen_ai.agent.version', version, 'agenttrace.variant', variant,
            'agenttrace.step.name', step_name,
            'gen_ai.operation.name', multiIf(step_type = 'model', 'chat', step_type = 'tool', 'execute_tool', step_type = 'retrieve', 'retrieval', ''),
            'gen_ai.request.model', if(step_type = 'model', model, ''),
            'gen_ai.response.model', if(step_type = 'model', model, ''),
            'gen_ai.provider.name', if(step_type = 'model', provider, ''),
            'gen_ai.tool.name', if(step_type = 'tool', step_name, ''),
            'gen_ai.usage.input_tokens', if(step_type = 'model', toString(200 + cityHash64(n, 20) % 4000), ''),
            'gen_ai.usage.output_tokens', if(step_type = 'model', toString(20 + cityHash64(n, 21) % 800), ''),
            'gen_ai.usage.cache_read.input_tokens', if(step_type = 'model', toString(cityHash64(n, 22) % 200), ''),
            'agenttrace.step.attempt', toString(attempt),
            'error.type', if(step_failed, 'TimeoutError', '')))) AS SpanAttributes,
    toUInt64(if(k = 0, 800 + cityHash64(r, 30) % 20000, 20 + cityHash64(n, 31) % 3000) * 1000000) AS Duration,
    if((k = 0 AND run_status = 'failure') OR step_failed, 'Error', 'Unset') AS StatusCode,
    '' AS StatusMessage
FROM (
    SELECT
        number AS n,
        intDiv(number, ${SPANS_PER_RUN}) AS r,
        number % ${SPANS_PER_RUN} AS k,
        ${pick(6, ['support-bot', 'research-bot', 'sales-agent', 'triage', 'coder', 'planner'])} AS agent,
        ${pick(7, ['1.0.0', '1.1.0', '2.0.0'])} AS version,
        ${pick(8, ['a', 'b', ''])} AS variant,
        ${pick(9, ['checkout', 'helpdesk', 'internal-tools'])} AS service,
        multiIf(${h(10)} % 20 = 0, 'failure', ${h(10)} % 20 = 1, 'partial', 'success') AS run_status,
        toString(reinterpretAsUUID(concat(reinterpretAsString(${h(4)}), reinterpretAsString(${h(5)})))) AS run_id,
        ['', 'plan', 'retrieve', 'model', 'tool', 'tool', 'model', 'respond'][k + 1] AS step_type,
        ['', 'decide', 'fetch_docs', 'draft', 'search', 'lookup', 'refine', 'reply'][k + 1] AS step_name,
        ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'o4-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'gemini-2.5-flash', 'grok-3-mini'][1 + cityHash64(number, 11) % 8] AS model,
        multiIf(startsWith(model, 'claude'), 'anthropic', startsWith(model, 'gemini'), 'gcp.gemini', startsWith(model, 'grok'), 'x_ai', 'openai') AS provider,
        if(k = 5 AND ${h(12)} % 10 = 0, 2, 1) AS attempt,
        k = 4 AND ${h(12)} % 10 = 0 AS step_failed
    FROM numbers(${runs * SPANS_PER_RUN})
)`;
}

const DIMS = 'bucket, service, environment, agent, agent_version, variant';

/** agent_stats_hourly's answer computed from the raw spans at query time. */
const RAW_HOURLY = `
SELECT ${DIMS}, runs, successes, latency, steps, retries, input_tokens
FROM (
    SELECT toStartOfHour(toDateTime(Timestamp, 'UTC')) AS bucket, ServiceName AS service,
        ResourceAttributes['deployment.environment.name'] AS environment, SpanAttributes['gen_ai.agent.name'] AS agent,
        SpanAttributes['gen_ai.agent.version'] AS agent_version, SpanAttributes['agenttrace.variant'] AS variant,
        count() AS runs, countIf(SpanAttributes['agenttrace.run.status'] = 'success') AS successes,
        quantiles(0.5, 0.95, 0.99)(Duration / 1e6) AS latency
    FROM ${DB}.otel_traces WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
    GROUP BY ${DIMS}) AS r
FULL OUTER JOIN (
    SELECT toStartOfHour(toDateTime(Timestamp, 'UTC')) AS bucket, ServiceName AS service,
        ResourceAttributes['deployment.environment.name'] AS environment, SpanAttributes['gen_ai.agent.name'] AS agent,
        SpanAttributes['gen_ai.agent.version'] AS agent_version, SpanAttributes['agenttrace.variant'] AS variant,
        count() AS steps, countIf(toUInt32OrZero(SpanAttributes['agenttrace.step.attempt']) > 1) AS retries,
        sum(toUInt64OrZero(SpanAttributes['gen_ai.usage.input_tokens'])) AS input_tokens
    FROM ${DB}.otel_traces WHERE SpanAttributes['agenttrace.step.type'] != ''
    GROUP BY ${DIMS}) AS s USING (${DIMS})
ORDER BY ${DIMS}`;

const MV_HOURLY = `
SELECT ${DIMS}, runs, successes, [p50_ms, p95_ms, p99_ms] AS latency, steps, retries, input_tokens
FROM ${DB}.agent_stats_hourly ORDER BY ${DIMS}`;

/** The hourly answer consumed in the engine: its cost without moving 27k rows through JSON. */
const MV_HOURLY_ENGINE = `SELECT count(), sum(runs), sum(steps), sum(p95_ms), sum(cost_usd) FROM ${DB}.agent_stats_hourly`;
const RAW_HOURLY_ENGINE = `SELECT count(), sum(runs), sum(steps), sum(latency[2]) FROM (${RAW_HOURLY})`;

/** A dashboard tile: per agent over the last day of data. */
const MV_LAST_DAY = `
SELECT agent, sum(runs) AS day_runs, sum(successes) / day_runs AS success_rate, sum(steps) AS day_steps,
    sum(cost_usd) AS cost
FROM ${DB}.agent_stats_hourly WHERE bucket >= toDateTime('2026-03-07 00:00:00', 'UTC')
GROUP BY agent ORDER BY agent`;

/** Per agent and day with percentiles: merges the hourly states (quantilesMerge). */
const MV_DAILY = `
SELECT agent, toDate(bucket) AS day, countMerge(runs) AS runs, sum(successes) / runs AS success_rate,
    quantilesMerge(0.5, 0.95, 0.99)(latency) AS latency
FROM ${DB}.agent_run_stats GROUP BY agent, day ORDER BY agent, day`;

const RAW_DAILY = `
SELECT SpanAttributes['gen_ai.agent.name'] AS agent, toDate(Timestamp) AS day, count() AS runs,
    countIf(SpanAttributes['agenttrace.run.status'] = 'success') / runs AS success_rate,
    quantiles(0.5, 0.95, 0.99)(Duration / 1e6) AS latency
FROM ${DB}.otel_traces WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent'
GROUP BY agent, day ORDER BY agent, day`;

/** Cost per model over the week, priced at query time. */
const MV_COST = `
SELECT model, provider, sum(steps) AS calls, sum(cost_usd) AS cost
FROM ${DB}.agent_stats WHERE model != '' GROUP BY model, provider ORDER BY model`;

const RAW_COST = `
SELECT model, provider, count() AS calls, sum(cost_usd) AS cost
FROM ${DB}.agent_steps WHERE model != '' GROUP BY model, provider ORDER BY model`;

/** One run by id through the raw views, as the query API reads a run. */
const ONE_RUN = (runId: string) => `SELECT * FROM ${DB}.agent_runs WHERE run_id = '${runId}'`;
const ONE_RUN_STEPS = (runId: string) =>
  `SELECT * FROM ${DB}.agent_steps WHERE run_id = '${runId}'`;
/** The newest 50 runs: straight from agent_runs, and paged through agent_run_index first. */
const RUN_LIST = `SELECT * FROM ${DB}.agent_runs ORDER BY started_at DESC LIMIT 50`;
const RUN_LIST_TWO_PHASE = (where: string) => `
SELECT * FROM ${DB}.agent_runs
WHERE run_id IN (SELECT run_id FROM ${DB}.agent_run_index ${where} ORDER BY started_at DESC LIMIT 50)
ORDER BY started_at DESC`;

/** Every signal over all history (`agent_signals`: default thresholds). */
const SIGNALS_ALL = `SELECT signal, count() AS n FROM ${DB}.agent_signals GROUP BY signal`;
/** The default thresholds as `agent_signals_window` arguments. */
const DEFAULTS =
  'loop_min = 5, retry_storm_min = 5, retry_rate_min = 10, fallback_min = 2, ' +
  'budget_tokens = 100000, budget_usd = 1.0, latency_factor = 1.5, latency_min_runs = 100';
const window = (since: string, until: string, thresholds = DEFAULTS) =>
  `${DB}.agent_signals_window(since = '${since}', until = '${until}', ${thresholds})`;
/** What `agenttrace signals` runs: the last 24 h of the data, newest first. */
const SIGNALS_LAST_DAY = `
SELECT * FROM ${window('2026-03-07 00:00:00', '2026-03-08 00:00:00')}
ORDER BY detected_at DESC, signal, agent, run_id, subject LIMIT 100`;
/** The same over all history through the window view. */
const SIGNALS_ALL_WINDOW = `
SELECT signal, count() AS n FROM ${window('1970-01-01 00:00:00', '2106-01-01 00:00:00')} GROUP BY signal`;
/**
 * Overrides that fire often: every run with a retry (10 % of runs) is a
 * retry storm at 2 attempts, and runs over 5,000 tokens a budget overrun.
 */
const SIGNALS_LAST_DAY_FIRING = `
SELECT signal, count() AS n FROM ${window(
  '2026-03-07 00:00:00',
  '2026-03-08 00:00:00',
  DEFAULTS.replace('retry_storm_min = 5', 'retry_storm_min = 2').replace(
    'budget_tokens = 100000',
    'budget_tokens = 5000',
  ),
)} GROUP BY signal`;

async function timed<T>(
  client: ClickHouseClient,
  query: string,
): Promise<{ ms: number; rows: T[] }> {
  const started = performance.now();
  const result = await client.query({
    query,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const rows = await result.json<T>();
  return { ms: performance.now() - started, rows };
}

async function median(client: ClickHouseClient, query: string, repeats = REPEATS): Promise<number> {
  return (await medianWithCpu(client, query, repeats)).wall;
}

/** Median wall time and median CPU time (user + system of this process, where chDB runs), in ms. */
async function medianWithCpu(
  client: ClickHouseClient,
  query: string,
  repeats = REPEATS,
): Promise<{ wall: number; cpu: number }> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const cpu = process.cpuUsage();
    walls.push((await timed(client, query)).ms);
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1000);
  }
  const mid = (a: number[]) =>
    Math.round(a.sort((x, y) => x - y)[Math.floor(repeats / 2)] ?? Number.NaN);
  return { wall: mid(walls), cpu: mid(cpus) };
}

/** Exact equality of counts and sums; largest relative gap of the MV's (sampled) percentiles. */
function compare(
  mv: Record<string, unknown>[],
  raw: Record<string, unknown>[],
): { countsEqual: boolean; maxPercentileGap: number } {
  const strip = (rows: Record<string, unknown>[]) =>
    JSON.stringify(rows.map(({ latency: _latency, ...rest }) => rest));
  let gap = 0;
  mv.forEach((row, i) => {
    const a = row.latency as number[];
    const b = raw[i]?.latency as number[] | undefined;
    a.forEach((v, j) => {
      const exact = b?.[j] ?? 0;
      if (exact > 0) gap = Math.max(gap, Math.abs(v - exact) / exact);
    });
  });
  return { countsEqual: strip(mv) === strip(raw), maxPercentileGap: Math.round(gap * 1e4) / 1e4 };
}

/** The stats views against the raw spans (skipped with `BENCH_ONLY=signals`). */
async function statsFigures(client: ClickHouseClient, runId: string) {
  const raw = await timed<Record<string, unknown>>(client, RAW_HOURLY);
  const mv = await timed<Record<string, unknown>>(client, MV_HOURLY);
  return {
    hourlyRows: mv.rows.length,
    ...compare(mv.rows, raw.rows),
    hourlyMvMs: await median(client, MV_HOURLY),
    hourlyRawMs: await median(client, RAW_HOURLY, RAW_REPEATS),
    hourlyMvInEngineMs: await median(client, MV_HOURLY_ENGINE),
    hourlyRawInEngineMs: await median(client, RAW_HOURLY_ENGINE, RAW_REPEATS),
    lastDayByAgentMvMs: await median(client, MV_LAST_DAY),
    dailyPercentilesMvMs: await median(client, MV_DAILY),
    dailyPercentilesRawMs: await median(client, RAW_DAILY, RAW_REPEATS),
    costByModelMvMs: await median(client, MV_COST),
    costByModelRawViewMs: await median(client, RAW_COST, RAW_REPEATS),
    oneRunMs: await median(client, ONE_RUN(runId)),
    oneRunStepsMs: await median(client, ONE_RUN_STEPS(runId)),
    runListMs: await median(client, RUN_LIST, RAW_REPEATS),
    runListTwoPhaseMs: await median(client, RUN_LIST_TWO_PHASE('')),
    failedRunsOfAgentTwoPhaseMs: await median(
      client,
      RUN_LIST_TWO_PHASE("WHERE agent = 'triage' AND status = 'failure'"),
    ),
  };
}

async function main(): Promise<void> {
  const given = process.env.AGENTTRACE_BENCH_SPANS ?? process.env.BENCH_SPANS;
  const spans = Number(given ?? 10_000_000);
  if (!Number.isSafeInteger(spans) || spans < SPANS_PER_RUN) {
    throw new Error(
      `AGENTTRACE_BENCH_SPANS (or BENCH_SPANS) must be an integer >= ${SPANS_PER_RUN} (got ${given})`,
    );
  }
  const onlySignals = process.env.BENCH_ONLY === 'signals';
  // BENCH_STORE_PATH keeps the loaded store (a new directory) for queries after the run.
  const keep = process.env.BENCH_STORE_PATH;
  const reuse = keep !== undefined && existsSync(keep);
  const path = keep ?? mkdtempSync(join(tmpdir(), 'agenttrace-bench-'));
  const client = createClient({ connection: createChdbConnection({ path }) as never });
  try {
    await migrate(client, { database: DB });
    const started = performance.now();
    if (!reuse) await client.command({ query: generateSql(spans) });
    const insertMs = reuse ? 0 : Math.round(performance.now() - started);

    const [counts] = (
      await timed<{ spans: number; runStatsRows: number; stepStatsRows: number; runId: string }>(
        client,
        `SELECT (SELECT count() FROM ${DB}.otel_traces) AS spans,
                (SELECT count() FROM ${DB}.agent_run_stats) AS runStatsRows,
                (SELECT count() FROM ${DB}.agent_step_stats) AS stepStatsRows,
                (SELECT any(SpanAttributes['agenttrace.run.id']) FROM ${DB}.otel_traces
                 WHERE SpanAttributes['gen_ai.operation.name'] = 'invoke_agent') AS runId`,
      )
    ).rows;
    const stats = onlySignals ? {} : await statsFigures(client, counts?.runId ?? '');
    const [signalFacts] = (
      await timed<{ rows: number; parts: number }>(
        client,
        `SELECT count() AS rows, (SELECT count() FROM system.parts WHERE database = '${DB}'
           AND table = 'agent_signal_run_facts' AND active) AS parts
         FROM ${DB}.agent_signal_run_facts`,
      )
    ).rows;
    const signalQueries = {
      signalsAll: SIGNALS_ALL,
      signalsAllWindow: SIGNALS_ALL_WINDOW,
      signalsLastDay: SIGNALS_LAST_DAY,
      signalsLastDayFiring: SIGNALS_LAST_DAY_FIRING,
    };
    const signalTimes: Record<string, number> = {};
    for (const [name, query] of Object.entries(signalQueries)) {
      const { wall, cpu } = await medianWithCpu(client, query, RAW_REPEATS);
      signalTimes[`${name}Ms`] = wall;
      signalTimes[`${name}CpuMs`] = cpu;
    }
    const signals = {
      ...signalTimes,
      firing: (await timed<{ signal: string; n: number }>(client, SIGNALS_LAST_DAY_FIRING)).rows,
    };
    console.log(
      JSON.stringify({
        bench: 'stats-query',
        spans: counts?.spans,
        runs: Math.floor(spans / SPANS_PER_RUN),
        insertMs,
        runStatsRows: counts?.runStatsRows,
        stepStatsRows: counts?.stepStatsRows,
        signalFactRows: signalFacts?.rows,
        signalFactParts: signalFacts?.parts,
        medianOf: REPEATS,
        rawMedianOf: RAW_REPEATS,
        ...stats,
        ...signals,
        loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
      }),
    );
  } finally {
    await client.close();
    if (keep === undefined) rmSync(path, { recursive: true, force: true });
  }
}

await main();
