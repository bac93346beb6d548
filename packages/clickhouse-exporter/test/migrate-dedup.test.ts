/**
 * On a spans table the official collector created, `migrate` turns on the
 * deduplication window, so a batch replayed from the spool under its token
 * (after a crash between the insert and the spool file's removal) is stored
 * once, as on a table agenttrace created itself.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { migrate } from '../src/migrate.js';
import { splitStatements } from '../src/schema-template.js';
import { checkDeduplication } from '../src/store-check.js';
import { insertStatement, writeBatch } from '../src/store-write.js';
import {
  openClient,
  removeDataPath,
  rows,
  tempDataPath,
  uniqueDatabase,
} from './helpers/chdb-db.js';

const path = tempDataPath();
let client: ClickHouseClient;
beforeAll(() => {
  client = openClient(path);
});
afterAll(async () => {
  await client.close();
  removeDataPath(path);
});

function span(i: number): string {
  return JSON.stringify({
    Timestamp: '1764590400.000000000',
    TraceId: 'a'.repeat(32),
    SpanId: i.toString(16).padStart(16, '0'),
    SpanName: 'step',
    ServiceName: 'dedup',
    Duration: 1000,
  });
}

describe('migrate', () => {
  it('gives a contrib-created spans table the deduplication window replays rely on', async () => {
    const db = uniqueDatabase();
    await client.command({ query: `CREATE DATABASE ${db}` });
    const ddl = readFileSync(
      new URL('./fixtures/contrib-traces-bloom.sql', import.meta.url),
      'utf8',
    )
      .replaceAll('{database}', db)
      .replaceAll('{table}', 'otel_traces');
    for (const query of splitStatements(ddl)) await client.command({ query });
    expect((await checkDeduplication(client, db, 'otel_traces')).kind).toBe('no-deduplication');

    await migrate(client, { database: db });
    expect((await checkDeduplication(client, db, 'otel_traces')).kind).toBe('ok');

    const statement = insertStatement(db, 'otel_traces');
    const body = [1, 2, 3].map(span).join('\n');
    // The same batch twice under its token: a replay after a crash.
    expect((await writeBatch(client, statement, body, 'batch-token-1')).kind).toBe('success');
    expect((await writeBatch(client, statement, body, 'batch-token-1')).kind).toBe('success');
    const [count] = await rows<{ n: string }>(
      client,
      `SELECT count() AS n FROM ${db}.otel_traces WHERE ServiceName = 'dedup'`,
    );
    expect(Number(count?.n)).toBe(3);
    // Idempotent: a second run changes nothing and still succeeds.
    await migrate(client, { database: db });
    expect((await checkDeduplication(client, db, 'otel_traces')).kind).toBe('ok');
  });
});
