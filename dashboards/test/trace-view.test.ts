/**
 * The trace view: the query the plugin's builder generates for an OTel
 * trace-id lookup, run on the real engine against demo spans, returns the
 * frame Grafana's trace view reads; and the run explorer's links carry it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exploreTraceUrl, traceIdQuerySql, TRACE_ID_VAR } from '../src/trace-link.js';
import { seedDemo } from './support/demo-data.js';
import { openEngine, runQuery, type TestEngine } from './support/engine.js';

let engine: TestEngine;

beforeAll(async () => {
  engine = await openEngine();
  await seedDemo(engine.store, engine.database);
}, 120_000);

afterAll(async () => {
  await engine?.store.close();
});

async function rowsOf(sql: string): Promise<Record<string, unknown>[]> {
  const { meta, data } = await runQuery(engine, sql);
  return data.map((row) => Object.fromEntries(meta.map((m, i) => [m.name, row[i]])));
}

describe('trace view', () => {
  describe('traceIdQuerySql', () => {
    it("matches the plugin's generated SQL (sqlGenerator.test.ts, OTel trace-id lookup)", () => {
      const sql = traceIdQuerySql('abcdefg', { database: 'default' });
      for (const part of [
        `WITH 'abcdefg' as __gf_trace_id, (SELECT min(Start) FROM "default"."otel_traces_trace_id_ts" WHERE TraceId = __gf_trace_id) as __gf_trace_start,`,
        `(SELECT max(End) + 1 FROM "default"."otel_traces_trace_id_ts" WHERE TraceId = __gf_trace_id) as __gf_trace_end`,
        'SELECT "TraceId" as traceID, "SpanId" as spanID, "ParentSpanId" as parentSpanID,',
        '"ServiceName" as serviceName, "SpanName" as operationName, multiply(toUnixTimestamp64Nano("Timestamp"), 0.000001) as startTime,',
        'multiply("Duration", 0.000001) as duration,',
        `arrayMap(key -> map('key', key, 'value',"SpanAttributes"[key]), mapKeys("SpanAttributes")) as tags,`,
        `arrayMap(key -> map('key', key, 'value',"ResourceAttributes"[key]), mapKeys("ResourceAttributes")) as serviceTags,`,
        `if("StatusCode" IN ('Error', 'STATUS_CODE_ERROR'), 2, 0) as statusCode,`,
        `arrayMap((name, timestamp, attributes) -> tuple(name, toString(toUnixTimestamp64Milli(timestamp)), arrayMap(key -> map('key', key, 'value', attributes[key]), mapKeys(attributes)))::Tuple(name String, timestamp String, fields Array(Map(String, String))), "Events".Name, "Events".Timestamp, "Events".Attributes) AS logs,`,
        `arrayMap((traceID, spanID, attributes) -> tuple(traceID, spanID, arrayMap(key -> map('key', key, 'value', attributes[key]), mapKeys(attributes)))::Tuple(traceID String, spanID String, tags Array(Map(String, String))), "Links".TraceId, "Links".SpanId, "Links".Attributes) AS references,`,
        `FROM "default"."otel_traces" WHERE traceID = __gf_trace_id AND "Timestamp" >= __gf_trace_start AND "Timestamp" <= __gf_trace_end`,
      ])
        expect(sql).toContain(part);
    });
  });

  describe('on the real engine', () => {
    it('returns every span of a demo run in the shape the trace view reads', async () => {
      const [run] = await rowsOf(
        `SELECT trace_id, step_count FROM ${engine.database}.agent_runs WHERE status = 'partial' ORDER BY started_at LIMIT 1`,
      );
      const traceId = String(run?.trace_id);
      const [{ spans } = {}] = await rowsOf(
        `SELECT count() AS spans FROM ${engine.database}.otel_traces WHERE TraceId = '${traceId}'`,
      );

      const got = await rowsOf(traceIdQuerySql(traceId, { database: engine.database }));

      expect(got).toHaveLength(Number(spans));
      expect(got.length).toBe(Number(run?.step_count) + 1);
      const root = got.filter((s) => s.parentSpanID === '');
      expect(root).toHaveLength(1);
      const spanIds = new Set(got.map((s) => s.spanID));
      for (const span of got) {
        expect(span).toMatchObject({ traceID: traceId, serviceName: 'support-api' });
        expect(typeof span.spanID).toBe('string');
        expect(span.parentSpanID === '' || spanIds.has(span.parentSpanID)).toBe(true);
        expect(typeof span.operationName).toBe('string');
        expect(span.startTime).toBeGreaterThan(Date.parse('2020-01-01'));
        expect(span.duration).toBeGreaterThanOrEqual(0);
        expect([0, 2]).toContain(span.statusCode);
        expect(Array.isArray(span.tags)).toBe(true);
        expect(span.serviceTags).toEqual(
          expect.arrayContaining([{ key: 'service.name', value: 'support-api' }]),
        );
        expect(Array.isArray(span.logs)).toBe(true);
        expect(Array.isArray(span.references)).toBe(true);
        expect(typeof span.kind).toBe('string');
      }
      expect(root[0]?.tags).toEqual(
        expect.arrayContaining([{ key: 'gen_ai.operation.name', value: 'invoke_agent' }]),
      );
      // The run is partial: a step failed, and the trace view shows it as an error span.
      const failed = got.filter((s) => s.statusCode === 2);
      expect(failed.length).toBeGreaterThan(0);
      for (const span of failed)
        expect((span.tags as { key: string }[]).map((t) => t.key)).toContain(
          'agenttrace.failure.code',
        );
    });

    it('types the columns as the trace view data frame expects', async () => {
      const [run] = await rowsOf(`SELECT trace_id FROM ${engine.database}.agent_runs LIMIT 1`);
      const { meta } = await runQuery(
        engine,
        traceIdQuerySql(String(run?.trace_id), { database: engine.database }),
      );
      const types = Object.fromEntries(
        meta.map((m) => [m.name, m.type.replace(/^LowCardinality\((.*)\)$/, '$1')]),
      );
      expect(types).toEqual({
        traceID: 'String',
        spanID: 'String',
        parentSpanID: 'String',
        serviceName: 'String',
        operationName: 'String',
        startTime: 'Float64',
        duration: 'Float64',
        tags: 'Array(Map(String, String))',
        serviceTags: 'Array(Map(String, String))',
        statusCode: 'UInt8',
        logs: 'Array(Tuple(name String, timestamp String, fields Array(Map(String, String))))',
        references: 'Array(Tuple(traceID String, spanID String, tags Array(Map(String, String))))',
        kind: 'String',
        statusMessage: 'String',
        traceState: 'String',
      });
    });

    it('returns nothing for an unknown trace id', async () => {
      expect(await rowsOf(traceIdQuerySql('0'.repeat(32), { database: engine.database }))).toEqual(
        [],
      );
    });
  });

  describe('exploreTraceUrl', () => {
    it('opens Explore with the trace-id query of the clicked row', () => {
      const url = exploreTraceUrl();
      expect(url.startsWith('/explore?schemaVersion=1&orgId=1&panes=')).toBe(true);
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const filled = url
        .split(TRACE_ID_VAR)
        .join(traceId)
        .replace('${__from}', '1700000000000')
        .replace('${__to}', '1700000360000');
      const panes = JSON.parse(decodeURIComponent(filled.slice(filled.indexOf('panes=') + 6))) as {
        trace: { datasource: string; queries: Record<string, unknown>[]; range: unknown };
      };
      expect(panes.trace.datasource).toBe('agenttrace-clickhouse');
      expect(panes.trace.range).toEqual({ from: '1700000000000', to: '1700000360000' });
      expect(panes.trace.queries[0]).toMatchObject({
        editorType: 'builder',
        format: 3,
        rawSql: traceIdQuerySql(traceId, { database: 'agenttrace' }),
        builderOptions: {
          queryType: 'traces',
          meta: { isTraceIdMode: true, traceId, otelEnabled: true, hasTraceTimestampTable: true },
        },
      });
    });
  });
});
