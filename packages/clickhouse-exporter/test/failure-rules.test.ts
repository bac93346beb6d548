import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../src/migrate.js';
import {
  openClient,
  removeDataPath,
  rows,
  tempDataPath,
  uniqueDatabase,
} from './helpers/chdb-db.js';
import { insertSpans, runId, runSpan, spanId, stepSpan, traceId } from './support/rows.js';
import type { SpanRow, StepSpec } from './support/rows.js';

/** One row of the rule table in docs/failures.md. */
interface Case {
  name: string;
  step: Pick<StepSpec, 'type' | 'errorType' | 'httpStatus' | 'failure'> & {
    status?: StepSpec['status'];
    exceptionType?: string;
  };
  type: string;
  code: string;
}

const T = Date.UTC(2026, 2, 3, 9, 0, 0);

const cases: Case[] = [
  {
    name: 'explicit agenttrace.failure.* wins',
    step: {
      type: 'tool',
      errorType: 'TimeoutError',
      failure: { type: 'orchestration', code: 'not_found' },
    },
    type: 'orchestration',
    code: 'not_found',
  },
  {
    name: 'tool + TimeoutError → timeout',
    step: { type: 'tool', errorType: 'TimeoutError' },
    type: 'tool',
    code: 'timeout',
  },
  {
    name: 'tool + HTTP 504 → timeout',
    step: { type: 'tool', httpStatus: 504 },
    type: 'tool',
    code: 'timeout',
  },
  {
    name: 'model + HTTP 429 → rate_limited',
    step: { type: 'model', httpStatus: 429 },
    type: 'model',
    code: 'rate_limited',
  },
  {
    name: 'model + RateLimitError → rate_limited',
    step: { type: 'model', errorType: 'RateLimitError' },
    type: 'model',
    code: 'rate_limited',
  },
  {
    name: 'model + HTTP 401 → auth',
    step: { type: 'model', httpStatus: 401 },
    type: 'model',
    code: 'auth',
  },
  {
    name: 'tool + HTTP 403 → auth',
    step: { type: 'tool', httpStatus: 403 },
    type: 'tool',
    code: 'auth',
  },
  {
    name: 'model + context_length_exceeded',
    step: { type: 'model', errorType: 'context_length_exceeded' },
    type: 'model',
    code: 'context_length',
  },
  {
    name: 'model + content_filter',
    step: { type: 'model', errorType: 'content_filter' },
    type: 'model',
    code: 'content_filter',
  },
  {
    name: 'model + ZodError → schema_invalid',
    step: { type: 'model', errorType: 'ZodError' },
    type: 'model',
    code: 'schema_invalid',
  },
  {
    name: 'model + SyntaxError (JSON.parse) → schema_invalid',
    step: { type: 'model', errorType: 'SyntaxError' },
    type: 'model',
    code: 'schema_invalid',
  },
  {
    name: 'model + exception event JSONDecodeError → schema_invalid',
    step: { type: 'model', exceptionType: 'json.decoder.JSONDecodeError' },
    type: 'model',
    code: 'schema_invalid',
  },
  {
    name: 'retrieve + EmptyRetrievalError → empty_retrieval',
    step: { type: 'retrieve', errorType: 'EmptyRetrievalError' },
    type: 'retrieval',
    code: 'empty_retrieval',
  },
  {
    name: 'plan + MaxIterationsError → max_iterations',
    step: { type: 'plan', errorType: 'MaxIterationsError' },
    type: 'orchestration',
    code: 'max_iterations',
  },
  {
    name: 'tool + AbortError → cancelled',
    step: { type: 'tool', errorType: 'AbortError' },
    type: 'tool',
    code: 'cancelled',
  },
  {
    name: 'model + HTTP 503 → unavailable',
    step: { type: 'model', httpStatus: 503 },
    type: 'model',
    code: 'unavailable',
  },
  {
    name: 'model + InternalServerError → unavailable',
    step: { type: 'model', errorType: 'InternalServerError' },
    type: 'model',
    code: 'unavailable',
  },
  {
    name: 'tool + ECONNRESET → network',
    step: { type: 'tool', errorType: 'ECONNRESET' },
    type: 'tool',
    code: 'network',
  },
  {
    name: 'tool + HTTP 404 → not_found',
    step: { type: 'tool', httpStatus: 404 },
    type: 'tool',
    code: 'not_found',
  },
  {
    name: 'model + HTTP 400 → invalid_request',
    step: { type: 'model', httpStatus: 400 },
    type: 'model',
    code: 'invalid_request',
  },
  {
    name: 'respond + unknown error → error',
    step: { type: 'respond', errorType: 'Error' },
    type: 'orchestration',
    code: 'error',
  },
  {
    name: 'legacy STATUS_CODE_ERROR is a failure',
    step: { type: 'other', status: 'STATUS_CODE_ERROR' },
    type: 'orchestration',
    code: 'error',
  },
];

const dataPath = tempDataPath();
let client: ClickHouseClient;
let db: string;
const runs = new Map<string, Case>();

beforeAll(async () => {
  client = openClient(dataPath);
  db = uniqueDatabase();
  await migrate(client, { database: db });
  const spans: SpanRow[] = [];
  cases.forEach((testCase, i) => {
    const trace = traceId();
    const run = runId();
    const root = spanId();
    runs.set(run, testCase);
    const { exceptionType, status, ...step } = testCase.step;
    spans.push(
      runSpan({
        traceId: trace,
        spanId: root,
        runId: run,
        agent: 'rules',
        startMs: T + i * 1000,
        durationMs: 500,
        runStatus: 'failure',
      }),
      stepSpan({
        ...step,
        traceId: trace,
        parentSpanId: root,
        runId: run,
        stepName: `case_${i}`,
        startMs: T + i * 1000 + 10,
        durationMs: 100,
        status: status ?? 'Error',
        ...(exceptionType === undefined
          ? {}
          : {
              events: [
                {
                  name: 'exception',
                  atMs: T + i * 1000 + 50,
                  attributes: { 'exception.type': exceptionType },
                },
              ],
            }),
      }),
    );
  });
  await insertSpans(client, db, spans);
});
afterAll(async () => {
  await client.close();
  removeDataPath(dataPath);
});

describe('failure classification (docs/failures.md)', () => {
  it.each(cases)('$name', async (testCase) => {
    const run = [...runs].find(([, c]) => c === testCase)?.[0];
    const got = await rows<{ failure_type: string; failure_code: string }>(
      client,
      `SELECT failure_type, failure_code FROM ${db}.agent_failures WHERE level = 'step' AND run_id = {run:String}`,
      { run },
    );
    expect(got).toEqual([{ failure_type: testCase.type, failure_code: testCase.code }]);
  });

  it("gives a failed run without its own classification the first failed step's", async () => {
    const got = await rows<{
      run_id: string;
      failure_type: string;
      failure_code: string;
      failure_step: string;
    }>(client, `SELECT run_id, failure_type, failure_code, failure_step FROM ${db}.agent_runs`);
    for (const row of got) {
      const testCase = runs.get(row.run_id);
      expect([row.failure_type, row.failure_code]).toEqual([testCase?.type, testCase?.code]);
      expect(row.failure_step).toMatch(/^case_\d+$/);
    }
    expect(got).toHaveLength(cases.length);
  });

  it('classifies every failed step', async () => {
    const [row] = await rows<{ n: number }>(
      client,
      `SELECT count() AS n FROM ${db}.agent_steps WHERE failure_code = '' OR failure_type = ''`,
    );
    expect(row?.n).toBe(0);
  });
});
