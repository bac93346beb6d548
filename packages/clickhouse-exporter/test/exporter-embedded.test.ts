/**
 * The embedded store: the default data directory, sharing one connection
 * between exporters on the same directory, and the typed error for a second
 * directory in the same process (a chDB limit).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChdbConnection } from 'chdb/connection';
import { ClickHouseSpanExporter } from '../src/exporter.js';
import { EmbeddedStoreConflictError } from '../src/errors.js';
import { createStore } from '../src/store.js';
import { storeOptionsFromEnv } from '../src/store-env.js';
import { exportSpans, makeSpans } from './support/spans.js';
import { countSpans, createTracesDatabase, tempDir } from './support/store.js';

const cwd = process.cwd();
const workDir = tempDir('embedded-cwd');
const defaultPath = join(workDir, '.agenttrace', 'store');

beforeAll(() => process.chdir(workDir));
afterAll(() => process.chdir(cwd));

describe('ClickHouseSpanExporter', () => {
  describe('embedded store', () => {
    it('defaults to chDB under ./.agenttrace/store and shares it between exporters', async () => {
      const probe = createStore();
      expect(probe.kind).toBe('embedded');
      expect(existsSync(defaultPath)).toBe(true);
      const database = await createTracesDatabase(probe.client);

      const a = new ClickHouseSpanExporter({ database });
      const b = new ClickHouseSpanExporter({ database });
      await exportSpans(a, await makeSpans(5));
      await exportSpans(b, await makeSpans(6));
      await a.shutdown();
      // `b` still works: closing `a` released one reference, not the engine.
      await b.shutdown();
      expect(await countSpans(probe.client, database)).toEqual({ rows: 11, distinct: 11 });
      await probe.close();
    });

    it('refuses a second directory with EmbeddedStoreConflictError', async () => {
      const open = createStore({ path: defaultPath });
      const other = join(workDir, 'elsewhere');
      let caught: unknown;
      try {
        new ClickHouseSpanExporter({ path: other });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(EmbeddedStoreConflictError);
      const conflict = caught as EmbeddedStoreConflictError;
      expect(conflict.code).toBe('EMBEDDED_STORE_CONFLICT');
      expect(conflict.openPath).toBe(defaultPath);
      expect(conflict.requestedPath).toBe(other);
      expect(conflict.message).toContain(defaultPath);
      expect(conflict.message).toMatch(/Use the same path/);
      // The open store is unharmed.
      await expect(open.client.ping()).resolves.toMatchObject({ success: true });
      await open.close();
    });

    it('opens a different directory once the first is fully closed', async () => {
      const elsewhere = createStore({ path: join(workDir, 'second') });
      await expect(elsewhere.client.ping()).resolves.toMatchObject({ success: true });
      await elsewhere.close();
    });

    it('turns chDB refusing a directory opened outside the registry into the typed error', async () => {
      const outside = createChdbConnection({ path: join(workDir, 'outside') });
      expect(() => createStore({ path: join(workDir, 'inside') })).toThrow(
        EmbeddedStoreConflictError,
      );
      await outside.close();
    });
  });

  describe('storeOptionsFromEnv', () => {
    it('reads AGENTTRACE_CLICKHOUSE_* and leaves out empty values', () => {
      expect(
        storeOptionsFromEnv({
          AGENTTRACE_CLICKHOUSE_URL: 'http://ch:8123',
          AGENTTRACE_CLICKHOUSE_USER: 'agent',
          AGENTTRACE_CLICKHOUSE_PASSWORD: '',
          AGENTTRACE_CLICKHOUSE_DATABASE: 'otel',
          UNRELATED: 'x',
        }),
      ).toEqual({ url: 'http://ch:8123', username: 'agent', database: 'otel' });
      expect(storeOptionsFromEnv({})).toEqual({});
    });

    it('gives a server store when the URL is set', async () => {
      const store = createStore(
        storeOptionsFromEnv({ AGENTTRACE_CLICKHOUSE_URL: 'http://127.0.0.1:1' }),
      );
      expect(store.kind).toBe('server');
      expect(store.database).toBe('default');
      await store.close();
    });
  });
});
