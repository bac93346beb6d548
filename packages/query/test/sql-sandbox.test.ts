/**
 * The read-only SQL sandbox on the real engine (chDB): what it refuses, the
 * limits every read runs under, and that no read, good or failed, changes
 * the session ingest writes through.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createStore, migrate, type Store } from '@agenttrace/clickhouse-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runReadOnlySql,
  SqlInvalidError,
  SqlLimitError,
  SqlRefusedError,
  type SqlRefusal,
  type SqlSandboxOptions,
} from '../src/index.js';
import { parseAstDump } from '../src/sql-check.js';

let store: Store;
let outDir = '';

beforeAll(async () => {
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-sandbox-')) });
  await migrate(store.client);
  outDir = mkdtempSync(join(tmpdir(), 'agenttrace-outfile-'));
});
afterAll(async () => {
  await store.close();
});

const run = (sql: string, options?: SqlSandboxOptions) =>
  runReadOnlySql(store.client, sql, options);

async function refusal(sql: string): Promise<SqlRefusedError> {
  const err = await run(sql).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, sql).toBeInstanceOf(SqlRefusedError);
  return err as SqlRefusedError;
}

async function failure(sql: string, options?: SqlSandboxOptions): Promise<unknown> {
  return run(sql, options).then(
    () => {
      throw new Error(`expected ${sql} to fail`);
    },
    (e: unknown) => e,
  );
}

/** Inserts one span row through the same client and reads it back: ingest works. */
async function ingestWorks(): Promise<void> {
  const traceId = randomUUID().replaceAll('-', '');
  await store.client.insert({
    table: 'otel_traces',
    values: [{ Timestamp: Date.now() * 1e6, TraceId: traceId, SpanId: '1', SpanName: 'ingest' }],
    format: 'JSONEachRow',
  });
  const result = await store.client.query({
    query: 'SELECT count() AS n FROM otel_traces WHERE TraceId = {t:String}',
    query_params: { t: traceId },
    format: 'JSONEachRow',
  });
  expect(await result.json()).toEqual([{ n: 1 }]);
}

/** The session's own settings: what a read must never change. */
async function sessionSettings(): Promise<unknown> {
  const result = await store.client.query({
    query: `SELECT getSetting('readonly') AS readonly, getSetting('max_execution_time') AS t,
      getSetting('max_result_rows') AS r, getSetting('limit') AS l,
      getSetting('max_rows_to_read') AS rr, getSetting('result_overflow_mode') AS m`,
    format: 'JSONEachRow',
  });
  return result.json();
}

describe('runReadOnlySql', () => {
  describe('answers', () => {
    it('one SELECT with WITH, UNION, INTERSECT and subqueries', async () => {
      expect(
        await run(`SELECT x FROM (WITH a AS (SELECT 1 AS x) SELECT x FROM a
          UNION ALL SELECT count() FROM (SELECT * FROM numbers(3)) WHERE 1 IN (SELECT 1)
          UNION ALL (SELECT 5 INTERSECT SELECT 5)) ORDER BY x`),
      ).toEqual({ rows: [{ x: 1 }, { x: 3 }, { x: 5 }], truncated: false });
    });
    it('a query with comments and a trailing semicolon', async () => {
      expect((await run('/* c */ SELECT 1 AS a; -- trailing')).rows).toEqual([{ a: 1 }]);
    });
    it('the allowed table functions and the store tables', async () => {
      const { rows } = await run(`SELECT
        (SELECT count() FROM numbers(5)) AS a, (SELECT count() FROM numbers_mt(2)) AS b,
        (SELECT count() FROM generateSeries(1, 4)) AS c, (SELECT count() FROM values('x UInt8', 1, 2)) AS d,
        (SELECT count() FROM otel_traces WHERE 0) AS e, format('{}-{}', 1, 2) AS f`);
      expect(rows).toEqual([{ a: 5, b: 2, c: 4, d: 2, e: 0, f: '1-2' }]);
    });
  });

  describe('refuses', () => {
    const outfiles = [
      `SELECT 1 INTO OUTFILE '<dir>/plain.txt'`,
      `SELECT 1 INTO OUTFILE '<dir>/append.txt' APPEND`,
      `SELECT 1 INTO OUTFILE '<dir>/truncate.txt' TRUNCATE`,
      `SELECT 1 INTO OUTFILE '<dir>/c.gz' COMPRESSION 'gzip'`,
      `SELECT 1 INTO OUTFILE '<dir>/l.gz' COMPRESSION 'gzip' LEVEL 3`,
      `SELECT 1 INTO OUTFILE '<dir>/stdout.txt' AND STDOUT`,
      `SELECT number FROM numbers(3) INTO OUTFILE '<dir>/f.csv' FORMAT CSV`,
      `SELECT 1 UNION ALL SELECT 2 INTO OUTFILE '<dir>/union.txt'`,
      `WITH 1 AS x SELECT x INTO OUTFILE '<dir>/with.txt' APPEND COMPRESSION 'zstd'`,
    ];
    it.each(outfiles)('INTO OUTFILE, and creates no file: %s', async (template) => {
      const err = await refusal(template.replaceAll('<dir>', outDir));
      expect(err.refused).toBe('into-outfile');
      expect(err.message).toMatch(/INTO OUTFILE '.+' is refused/);
      expect(readdirSync(outDir)).toEqual([]);
    });

    it.each([
      ['SELECT 1 FORMAT CSV', 'format'],
      ['SELECT 1 FORMAT Null', 'format'],
      ['SELECT 1 SETTINGS max_threads = 1', 'settings'],
      ['SELECT 1 SETTINGS readonly = 0', 'settings'],
      ['SELECT * FROM (SELECT 1 SETTINGS max_execution_time = 0)', 'settings'],
      ['SELECT 1 UNION ALL SELECT 2 SETTINGS max_rows_to_read = 0', 'settings'],
    ] as [string, SqlRefusal][])('%s (%s)', async (sql, refused) => {
      expect((await refusal(sql)).refused).toBe(refused);
    });

    it.each([
      ['SELECT 1; SELECT 2', 9],
      ['SELECT 1; INSERT INTO model_prices (provider) VALUES (1)', 9],
      ['SELECT count() FROM otel_traces;KILL QUERY WHERE 1', 32],
    ])('multiple statements: %s', async (sql, position) => {
      const err = await refusal(sql);
      expect(err.refused).toBe('multiple-statements');
      expect(err.message).toContain(`position ${position}`);
    });

    it.each([
      ['KILL QUERY WHERE 1', 'KILL'],
      ['KILL MUTATION WHERE 1', 'KILL'],
      ['SET readonly = 0', 'SET'],
      ["INSERT INTO model_prices (provider) VALUES ('x')", 'INSERT'],
      ['INSERT INTO model_prices SELECT * FROM model_prices', 'INSERT'],
      ['WITH 1 AS x INSERT INTO model_prices SELECT * FROM model_prices', 'INSERT'],
      ['CREATE TABLE x (a Int8) ENGINE = Memory', 'CREATE'],
      ['CREATE TEMPORARY TABLE t (x Int8)', 'CREATE'],
      ['ALTER TABLE otel_traces DELETE WHERE 1', 'ALTER'],
      ['ALTER TABLE otel_traces DROP COLUMN SpanName', 'ALTER'],
      ['DROP TABLE otel_traces', 'DROP'],
      ['TRUNCATE TABLE otel_traces', 'TRUNCATE'],
      ['DELETE FROM otel_traces WHERE 1', 'DELETE'],
      ['OPTIMIZE TABLE otel_traces FINAL', 'OPTIMIZE'],
      ['RENAME TABLE otel_traces TO gone', 'RENAME'],
      ['SYSTEM FLUSH LOGS', 'SYSTEM'],
      ["BACKUP TABLE otel_traces TO File('b')", 'BACKUP'],
      ['GRANT SELECT ON *.* TO u', 'GRANT'],
      ['DETACH TABLE otel_traces', 'DETACH'],
      ['EXPLAIN SELECT 1', 'EXPLAIN'],
      ['SHOW TABLES', 'SHOW'],
      ['USE system', 'USE'],
    ])('%s', async (sql, kind) => {
      const err = await refusal(sql);
      expect(err.refused).toBe('statement');
      expect(err.subject).toBe(kind);
      expect(err.message).toContain(`${kind} statements are refused`);
    });

    const tableFunctions = [
      "file('/etc/passwd', 'LineAsString')",
      "FILE('/etc/passwd')",
      "url('http://127.0.0.1:9/x', CSV)",
      "s3('http://127.0.0.1:9/b/k', CSV)",
      "s3Cluster('c', 'http://127.0.0.1:9/b/k')",
      "remote('127.0.0.1:9', system.one)",
      "remoteSecure('127.0.0.1:9', system.one)",
      "cluster('default', system.one)",
      "clusterAllReplicas('default', system.one)",
      "executable('x.sh', TabSeparated, 'a String')",
      "mysql('127.0.0.1:9', 'd', 't', 'u', 'p')",
      "postgresql('127.0.0.1:9', 'd', 't', 'u', 'p')",
      "jdbc('jdbc:x', 't')",
      "odbc('dsn', 't')",
      "hdfs('hdfs://x/y', CSV)",
      "azureBlobStorage('http://x', 'c', 'b')",
      "input('a String')",
      "Python('df')",
      "mongodb('127.0.0.1:9', 'd', 'c', 'u', 'p', 'a String')",
      "redis('127.0.0.1:9', 'k', 'k String')",
      "sqlite('/tmp/x.db', 't')",
      "urlCluster('c', 'http://x')",
      "fileCluster('c', '/etc/passwd')",
      "filesystem('/')",
      "iceberg('http://x')",
      "deltaLake('http://x')",
      "gcs('http://x')",
      "dictionary('d')",
      "merge(currentDatabase(), '.*')",
      'loop(numbers(1))',
      "generateRandom('a UInt8')",
      'view(SELECT 1)',
      'zeros(2)',
    ];
    it.each(tableFunctions)('the table function %s in FROM', async (call) => {
      const err = await refusal(`SELECT * FROM ${call}`);
      expect(err.refused).toBe('table-function');
      expect(err.message).toContain(`table function ${call.slice(0, call.indexOf('('))}() in FROM`);
    });

    it.each([
      ["SELECT * FROM numbers(3) AS a JOIN file('/etc/passwd') AS b ON 1", 'table-function'],
      ["SELECT (SELECT count() FROM url('http://x', CSV))", 'table-function'],
      ["SELECT * FROM numbers(1) WHERE 1 IN (SELECT 1 FROM s3('http://x'))", 'table-function'],
      ["WITH t AS (SELECT * FROM remote('h', system.one)) SELECT * FROM t", 'table-function'],
      ["SELECT file('/etc/hostname')", 'function'],
      ["SELECT length(File('/etc/hostname'))", 'function'],
      ["SELECT 1 IN file('/etc/passwd')", 'function'],
      ["SELECT arrayMap(x -> file(x), ['/etc/hostname'])", 'function'],
      ["SELECT catboostEvaluate('/tmp/model.bin', 1)", 'function'],
      ["SELECT 1 IN url('http://x', CSV)", 'function'],
    ] as [string, SqlRefusal][])('%s', async (sql, refused) => {
      expect((await refusal(sql)).refused).toBe(refused);
    });
  });

  describe('rejects as invalid', () => {
    it.each([
      ['SELEC 1', /does not parse: Syntax error: failed at position 7/],
      ['SELECT * FROM no_such_table', /Unknown table expression identifier 'no_such_table'/],
      ['SELECT no_such_column FROM otel_traces', /no_such_column/],
      ['SELECT {x:String}', /Substitution `x` is not set/],
      ['', /Empty query/],
    ])('%s', async (sql, message) => {
      const err = await failure(sql);
      expect(err).toBeInstanceOf(SqlInvalidError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('max_execution_time');
    });
  });

  describe('limits', () => {
    it('stops a runaway read at maxRowsToRead (default 1e9)', async () => {
      const err = await failure('SELECT count() FROM numbers(1e12)');
      expect(err).toBeInstanceOf(SqlLimitError);
      expect((err as SqlLimitError).limit).toBe('maxRowsToRead');
      expect((err as Error).message).toMatch(/maxRowsToRead = 1000000000.*max_rows_to_read/);
    });
    it('stops a slow read at maxExecutionTimeSeconds', async () => {
      const err = await failure('SELECT count() FROM numbers(1e12) WHERE sipHash64(number) = 0', {
        maxExecutionTimeSeconds: 0.5,
        maxRowsToRead: 1e15,
      });
      expect(err).toBeInstanceOf(SqlLimitError);
      expect((err as SqlLimitError).limit).toBe('maxExecutionTimeSeconds');
      expect((err as Error).message).toMatch(/Timeout exceeded/);
    });
    it('stops a greedy read at maxMemoryBytes', async () => {
      const err = await failure('SELECT groupArray(number) FROM numbers(1e8)', {
        maxMemoryBytes: 50_000_000,
      });
      expect(err).toBeInstanceOf(SqlLimitError);
      expect((err as SqlLimitError).limit).toBe('maxMemoryBytes');
    });
    it('returns the first maxResultRows rows (default 10,000) and says truncated', async () => {
      const big = await run('SELECT number FROM numbers(1e7)');
      expect(big.rows).toHaveLength(10_000);
      expect(big.rows[9_999]).toEqual({ number: 9_999 });
      expect(big.truncated).toBe(true);
      expect(await run('SELECT * FROM system.numbers', { maxResultRows: 3 })).toEqual({
        rows: [{ number: 0 }, { number: 1 }, { number: 2 }],
        truncated: true,
      });
      expect((await run('SELECT number FROM numbers(3)', { maxResultRows: 3 })).truncated).toBe(
        false,
      );
    });
    it('cuts the result at maxResultBytes', async () => {
      const { rows, truncated } = await run("SELECT repeat('x', 1000) AS s FROM numbers(100)", {
        maxResultBytes: 10_000,
      });
      expect(truncated).toBe(true);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThan(10);
    });
    it('refuses an invalid option naming it', async () => {
      await expect(run('SELECT 1', { maxResultRows: 0 })).rejects.toThrow(
        /maxResultRows must be .*\(got 0\)/,
      );
    });
  });

  describe('leaves ingest alone', () => {
    it('ingest works and the session is unchanged after any sequence of reads', async () => {
      const before = await sessionSettings();
      expect(before).toEqual([{ readonly: 0, t: 0, r: 0, l: 0, rr: 0, m: 'throw' }]);
      await ingestWorks();
      const reads: [string, SqlSandboxOptions?][] = [
        ['SELECT count() FROM otel_traces'],
        ['SELECT number FROM numbers(1e6)'],
        ['SELECT 1; SELECT 2'],
        ["SELECT 1 INTO OUTFILE '/nonexistent/x'"],
        ['SET readonly = 1'],
        ['SELECT 1 SETTINGS readonly = 1'],
        ["SELECT * FROM file('/etc/passwd')"],
        ['SELEC 1'],
        ['SELECT * FROM no_such_table'],
        ['SELECT count() FROM numbers(1e12)'],
        ['SELECT count() FROM numbers(1e12) WHERE sipHash64(number) = 0', { maxExecutionTimeSeconds: 0.2, maxRowsToRead: 1e15 }],
        ['SELECT groupArray(number) FROM numbers(1e8)', { maxMemoryBytes: 50_000_000 }],
        ['SELECT * FROM system.numbers'],
      ]; // prettier-ignore
      for (const [sql, options] of reads) {
        await run(sql, options).catch(() => undefined);
        expect(await sessionSettings(), sql).toEqual(before);
        await ingestWorks();
      }
    });

    it('a runaway read cannot hold an insert beyond its time limit', async () => {
      const runaway = failure('SELECT count() FROM numbers(1e12) WHERE sipHash64(number) = 0', {
        maxExecutionTimeSeconds: 1,
        maxRowsToRead: 1e15,
      });
      // Starts while the read runs: chDB runs one statement at a time on a session.
      const insert = new Promise((r) => setTimeout(r, 100)).then(ingestWorks);
      const [err] = await Promise.all([runaway, insert]);
      expect(err).toBeInstanceOf(SqlLimitError);
      expect((err as SqlLimitError).limit).toBe('maxExecutionTimeSeconds');
    });

    it('on the store read session, a runaway read does not hold an insert at all', async () => {
      const order: string[] = [];
      const runaway = runReadOnlySql(
        store.readClient(),
        'SELECT count() FROM numbers(1e12) WHERE sipHash64(number) = 0',
        { maxExecutionTimeSeconds: 3, maxRowsToRead: 1e15 },
      ).then(
        () => order.push('read returned'),
        (e: unknown) => order.push(e instanceof SqlLimitError ? 'read stopped' : String(e)),
      );
      const insert = new Promise((r) => setTimeout(r, 200))
        .then(ingestWorks)
        .then(() => order.push('insert stored'));
      await Promise.all([runaway, insert]);
      expect(order).toEqual(['insert stored', 'read stopped']);
    });
  });
});

describe('parseAstDump', () => {
  it('reads the CSV dump chDB prints, with quotes and escaped newlines in literals', () => {
    const tree = parseAstDump(
      [
        '"SelectWithUnionQuery (children 1)"',
        '" ExpressionList (children 1)"',
        '"  SelectQuery (children 1)"',
        '"   ExpressionList (children 2)"',
        '"    Literal \'a\\n Function file (children 1)\'"',
        '"    Identifier x""y"',
      ].join('\n'),
    );
    const select = tree.children[0]!.children[0]!;
    expect(select.type).toBe('SelectQuery');
    expect(select.children[0]!.children.map((c) => [c.type, c.label])).toEqual([
      ['Literal', "'a\\n Function file (children 1)'"],
      ['Identifier', 'x"y'],
    ]);
  });
  it('refuses a dump that is not one tree', () => {
    expect(() => parseAstDump('A\nB\n')).toThrow(/more than one tree/);
    expect(() => parseAstDump('A\n   B\n')).toThrow(/malformed/);
  });
});
