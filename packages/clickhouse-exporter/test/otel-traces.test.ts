/**
 * The spans table must stay interchangeable with the one the OpenTelemetry
 * Collector contrib clickhouseexporter creates and writes.
 * `fixtures/contrib-traces-insert.sql` is a verbatim copy of its
 * `internal/sqltemplates/traces_insert.sql` (Apache-2.0).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../src/migrate.js';
import { quoteString } from '../src/schema-template.js';
import {
  openClient,
  removeDataPath,
  rows,
  tempDataPath,
  uniqueDatabase,
} from './helpers/chdb-db.js';
import { chTime, spanId, traceId } from './support/rows.js';

const CONTRIB_INSERT = readFileSync(
  new URL('./fixtures/contrib-traces-insert.sql', import.meta.url),
  'utf8',
);

const dataPath = tempDataPath();
let client: ClickHouseClient;
beforeAll(() => {
  client = openClient(dataPath);
});
afterAll(async () => {
  await client.close();
  removeDataPath(dataPath);
});

type Literal = string | number | string[] | Record<string, string> | Record<string, string>[];

function literal(value: Literal): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return quoteString(value);
  if (Array.isArray(value)) return `[${value.map((v) => literal(v)).join(', ')}]`;
  const entries = Object.entries(value).map(([k, v]) => `${quoteString(k)}, ${quoteString(v)}`);
  return `map(${entries.join(', ')})`;
}

/** The contrib statement with its %s filled and its ? bound, as its Go driver would. */
function contribInsert(database: string, table: string, values: Literal[]): string {
  const named = CONTRIB_INSERT.replace('%s', database).replace('%s', table);
  let i = 0;
  return named.replace(/\?/g, () => literal(values[i++] ?? ''));
}

describe('otel_traces', () => {
  it('is created with the contrib columns, codecs, indexes, keys and settings', async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db, ttlDays: 7 });
    const [{ statement } = { statement: '' }] = await rows<{ statement: string }>(
      client,
      `SHOW CREATE TABLE ${db}.otel_traces`,
    );
    for (const part of [
      '`Timestamp` DateTime64(9) CODEC(Delta(8), ZSTD(1))',
      '`SpanAttributes` Map(LowCardinality(String), String) CODEC(ZSTD(1))',
      '`Duration` UInt64 CODEC(T64, ZSTD(1))',
      'INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1',
      'INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8',
      'PARTITION BY toDate(Timestamp)',
      'PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))',
      'ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)',
      'TTL toDateTime(Timestamp) + toIntervalDay(7)',
      'ttl_only_drop_parts = 1',
    ]) {
      expect(statement).toContain(part);
    }
    const columns = await rows<{ name: string; type: string }>(
      client,
      `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = 'otel_traces' ORDER BY position`,
      { db },
    );
    expect(columns.map((c) => c.name)).toEqual([
      'Timestamp',
      'TraceId',
      'SpanId',
      'ParentSpanId',
      'TraceState',
      'SpanName',
      'SpanKind',
      'ServiceName',
      'ResourceAttributes',
      'ScopeName',
      'ScopeVersion',
      'SpanAttributes',
      'Duration',
      'StatusCode',
      'StatusMessage',
      'Events.Timestamp',
      'Events.Name',
      'Events.Attributes',
      'Links.TraceId',
      'Links.SpanId',
      'Links.TraceState',
      'Links.Attributes',
      'ResourceAttributeItems',
      'SpanAttributeItems',
    ]);
  });

  it("accepts the contrib exporter's INSERT statement verbatim and reads it back", async () => {
    const db = uniqueDatabase();
    await migrate(client, { database: db });
    const trace = traceId();
    const span = spanId();
    const at = Date.UTC(2026, 2, 2, 12, 0, 0);
    await client.command({
      query: contribInsert(db, 'otel_traces', [
        chTime(at),
        trace,
        span,
        '',
        'rojo=00f067aa0ba902b7',
        'invoke_agent triage',
        'Internal',
        'triage-svc',
        { 'service.name': 'triage-svc', 'deployment.environment.name': 'staging' },
        'collector-scope',
        '1.0.0',
        {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.name': 'triage',
          'agenttrace.run.id': 'r-1',
        },
        1_500_000_000,
        'Error',
        'boom',
        [chTime(at + 100)],
        ['agenttrace.failure'],
        [
          {
            'agenttrace.failure.type': 'tool',
            'agenttrace.failure.code': 'timeout',
            'agenttrace.failure.step': 'lookup',
          },
        ],
        [trace],
        [spanId()],
        [''],
        [{}],
      ]),
    });
    const [row] = await rows<Record<string, unknown>>(
      client,
      `SELECT TraceId, SpanName, SpanKind, ServiceName, ResourceAttributes, Duration, StatusCode, StatusMessage,
              Events.Name, Events.Attributes, length(Links.SpanId) AS links, SpanAttributeItems
       FROM ${db}.otel_traces`,
    );
    expect(row).toMatchObject({
      TraceId: trace,
      SpanName: 'invoke_agent triage',
      SpanKind: 'Internal',
      ServiceName: 'triage-svc',
      Duration: 1_500_000_000,
      StatusCode: 'Error',
      StatusMessage: 'boom',
      'Events.Name': ['agenttrace.failure'],
      links: 1,
    });
    expect(row?.SpanAttributeItems).toContain('gen_ai.agent.name=triage');
    const [run] = await rows<Record<string, unknown>>(
      client,
      `SELECT run_id, agent, status, environment, failure_type, failure_code FROM ${db}.agent_runs`,
    );
    expect(run).toEqual({
      run_id: 'r-1',
      agent: 'triage',
      status: 'failure',
      environment: 'staging',
      failure_type: 'tool',
      failure_code: 'timeout',
    });
    const [failure] = await rows<Record<string, unknown>>(
      client,
      `SELECT failure_type, failure_code, failure_step FROM ${db}.agent_failures`,
    );
    expect(failure).toEqual({
      failure_type: 'tool',
      failure_code: 'timeout',
      failure_step: 'lookup',
    });
    const [lookup] = await rows<{ TraceId: string; Start: string }>(
      client,
      `SELECT TraceId, toString(Start) AS Start FROM ${db}.otel_traces_trace_id_ts`,
    );
    expect(lookup).toEqual({ TraceId: trace, Start: '2026-03-02 12:00:00' });
  });
});
