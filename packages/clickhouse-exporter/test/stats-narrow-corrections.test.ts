/**
 * agent_stats after migration 0031 gives the rows of 0028's definition (which
 * searched otel_traces at query time) for spans inserted after the migration
 * (through the narrow tables' materialized views) and for spans stored before
 * it (through its backfill): SDK runs, an unmarked nested duplicate, a
 * marked one, a nested call for another model, a trace without a run span
 * whose steps move to its run's name, a retried failed step with a time to
 * first chunk, and a foreign step nested in an SDK model step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate, planMigrations } from '../src/migrate.js';
import {
  openClient,
  removeDataPath,
  rows,
  tempDataPath,
  uniqueDatabase,
} from './helpers/chdb-db.js';

const dataPath = tempDataPath('agenttrace-stats-narrow-');
let client: ClickHouseClient;

/** Spans of every case the two corrections handle, as one INSERT into `db`. */
function insertSpans(db: string): string {
  const span = (
    trace: string,
    id: string,
    parent: string,
    name: string,
    attributes: Record<string, string>,
    offsetMs: number,
    status = 'Unset',
  ): string => {
    const map = Object.entries(attributes)
      .map(([k, v]) => `'${k}', '${v}'`)
      .join(', ');
    return `(toDateTime64('2026-03-01 10:00:00', 9, 'UTC') + toIntervalMillisecond(${offsetMs}), '${trace}',
      '${id}', '${parent}', '${name}', 'Client', 'svc', map('service.name', 'svc'), 'test',
      map(${map}), ${(100 + offsetMs) * 1_000_000}, '${status}')`;
  };
  const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' };
  const sdk = { 'agenttrace.run.id': 'r1', 'gen_ai.agent.name': 'bot' };
  const values = [
    // an SDK run: run span, a model step retried after a failure (with ttfc), a tool step
    span(
      't1',
      's1',
      '',
      'invoke_agent bot',
      { ...sdk, 'gen_ai.operation.name': 'invoke_agent' },
      0,
    ),
    span(
      't1',
      's2',
      's1',
      'chat gpt-4o',
      {
        ...sdk,
        ...chat,
        'agenttrace.step.type': 'model',
        'gen_ai.request.model': 'gpt-4o',
        'agenttrace.step.attempt': '2',
        'gen_ai.usage.input_tokens': '10',
        'gen_ai.response.time_to_first_chunk': '0.25',
      },
      5,
      'Error',
    ),
    // a foreign provider span nested in the SDK's model step: an unmarked duplicate
    span(
      't1',
      's3',
      's2',
      'openai.chat',
      {
        ...chat,
        'gen_ai.request.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.input_tokens': '10',
      },
      6,
    ),
    // a trace without a run span: a chat call, its provider span (duplicate), a tool, a call for another model
    span(
      't2',
      'a1',
      '',
      'openai.chat',
      {
        ...chat,
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': '100',
        'gen_ai.usage.output_tokens': '20',
      },
      20,
    ),
    span('t2', 'a2', 'a1', 'chat', { ...chat, 'gen_ai.usage.input_tokens': '100' }, 21),
    span('t2', 'a3', 'a1', 'execute_tool search', { 'gen_ai.operation.name': 'execute_tool' }, 22),
    span(
      't2',
      'a4',
      'a1',
      'chat gpt-4o-mini',
      {
        ...chat,
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': '7',
        'agenttrace.step.attempt': '2',
        'gen_ai.response.time_to_first_chunk': '0.1',
      },
      23,
      'Error',
    ),
    // a trace without a run span whose step was marked a duplicate by the SDK's processor
    span(
      't3',
      'b1',
      '',
      'openai.chat',
      { ...chat, 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': '5' },
      30,
    ),
    span(
      't3',
      'b2',
      'b1',
      'openai.chat',
      {
        ...chat,
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': '5',
        'agenttrace.step.duplicate_of': 'b1',
      },
      31,
    ),
    // a foreign step that names its agent: stays under it
    span(
      't4',
      'c1',
      '',
      'chat gpt-4o',
      {
        ...chat,
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.agent.name': 'named',
        'gen_ai.usage.input_tokens': '3',
      },
      40,
    ),
  ];
  return `INSERT INTO ${db}.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind,
    ServiceName, ResourceAttributes, ScopeName, SpanAttributes, Duration, StatusCode) VALUES ${values.join(',\n')}`;
}

/** 0028's agent_stats as rendered for `db`, created beside the current one as agent_stats_0028. */
async function create0028View(db: string): Promise<void> {
  const statement = planMigrations({ database: db })
    .find((m) => m.version === 28)
    ?.statements.find((text) => text.includes('CREATE OR REPLACE VIEW'));
  if (statement === undefined) throw new Error('migration 0028 has no CREATE OR REPLACE VIEW');
  await client.command({
    query: statement.replace(`\`${db}\`.\`agent_stats\``, `\`${db}\`.\`agent_stats_0028\``),
  });
}

/** Every column of `view`, in a fixed order, floats rounded so summation order does not show. */
function statsQuery(db: string, view: string): string {
  return `SELECT agent, agent_version, variant, step_type, model, provider, steps, retries, failed_steps,
      round(success_rate, 9) AS success_rate, round(p50_ms, 6) AS p50, round(p95_ms, 6) AS p95,
      round(ttfc_p50_ms, 6) AS ttfc50, input_tokens, output_tokens, cached_tokens, round(cost_usd, 12) AS cost
    FROM ${db}.${view}
    ORDER BY agent, agent_version, variant, step_type, model, provider`;
}

beforeAll(() => {
  client = openClient(dataPath);
});

afterAll(async () => {
  await client.close();
  removeDataPath(dataPath);
});

describe('agent_stats (migration 0031)', () => {
  it('gives the rows of 0028 for spans inserted after the migration', async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db });
    await client.command({ query: insertSpans(db) });
    await create0028View(db);

    const now = await rows<Record<string, unknown>>(client, statsQuery(db, 'agent_stats'));
    const before = await rows<Record<string, unknown>>(client, statsQuery(db, 'agent_stats_0028'));

    expect(now).toEqual(before);
    // the trace run's steps moved to the service's name, each call counted once
    const svc = now.filter((r) => r['agent'] === 'svc');
    expect(svc.map((r) => [r['step_type'], r['model'], r['steps'], r['input_tokens']])).toEqual([
      ['model', 'gpt-4o', 2, 105],
      ['model', 'gpt-4o-mini', 1, 7],
      ['tool', '', 1, 0],
    ]);
    expect(now.find((r) => r['agent'] === 'bot' && r['step_type'] === 'model')).toMatchObject({
      steps: 1,
      retries: 1,
      failed_steps: 1,
      input_tokens: 10,
    });
    expect(now.some((r) => r['agent'] === '')).toBe(false);
  }, 120_000);

  it('gives the same rows for spans stored before the migration (backfill)', async () => {
    const seed = uniqueDatabase();
    await migrate(client, { database: seed });
    const db = uniqueDatabase();
    await client.command({ query: `CREATE DATABASE ${db}` });
    await client.command({ query: `CREATE TABLE ${db}.otel_traces AS ${seed}.otel_traces` });
    await client.command({ query: insertSpans(db) });
    await migrate(client, { database: db });
    await create0028View(db);

    const now = await rows<Record<string, unknown>>(client, statsQuery(db, 'agent_stats'));
    const before = await rows<Record<string, unknown>>(client, statsQuery(db, 'agent_stats_0028'));

    expect(now).toEqual(before);
    expect(now.filter((r) => r['agent'] === 'svc').length).toBe(3);
  }, 180_000);
});
