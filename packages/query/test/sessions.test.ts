import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createStore, migrate, type Store } from '@agenttrace/clickhouse-exporter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSession, InvalidQueryError, listSessions, type SessionRow } from '../src/index.js';
import { selectRows } from '../src/select.js';
import {
  SESSION_A,
  SESSION_B,
  writeSessions,
  type SessionFixture,
} from './support/session-fixture.js';

let store: Store;
let fx: SessionFixture;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  store = createStore({ path: mkdtempSync(join(tmpdir(), 'agenttrace-sessions-')) });
  await migrate(store.client);
  fx = await writeSessions(store);
});

afterAll(async () => {
  await store?.close();
});

describe('sessions', () => {
  describe('listSessions', () => {
    it('groups runs of one session across services, nested runs by their trace', async () => {
      const sessions = await listSessions(store.client, { since: '1h' });
      expect(sessions.map((s) => s.session_id)).toEqual([SESSION_B, SESSION_A]);
      const a = sessions[1]!;
      expect(a).toMatchObject({
        runs: 4,
        turns: 3,
        services: ['billing', 'web'],
        agents: ['billing', 'support', 'triage'],
        input_tokens: 350,
        output_tokens: 35,
        failed_runs: 1,
        failure_codes: ['unavailable'],
      });
      expect(a.cost_usd).toBeGreaterThan(0);
      expect(a.duration_ms).toBeGreaterThanOrEqual(0);
      expect(Date.parse(a.last_seen)).toBeGreaterThanOrEqual(Date.parse(a.first_seen));
      expect(sessions[0]).toMatchObject({ runs: 1, turns: 1, input_tokens: 1, failed_runs: 0 });
    });

    it('answers as the agent_sessions view does', async () => {
      const view = await selectRows<SessionRow>(
        store.client,
        'SELECT * FROM agent_sessions ORDER BY last_seen DESC, session_id',
        {},
      );
      expect(view).toEqual(await listSessions(store.client));
    });

    it('filters by time, service and agent, and limits', async () => {
      expect(await listSessions(store.client, { since: '2262-04-11' })).toEqual([]);
      expect(
        (await listSessions(store.client, { service: 'billing' })).map((s) => s.session_id),
      ).toEqual([SESSION_A]);
      expect(
        (await listSessions(store.client, { agent: 'triage' })).map((s) => s.session_id),
      ).toEqual([SESSION_A]);
      // a filter picks sessions; the rollup is of the whole session
      expect((await listSessions(store.client, { service: 'billing' }))[0]?.runs).toBe(4);
      expect(await listSessions(store.client, { limit: 1 })).toHaveLength(1);
    });

    it('names the field, the expectation and the value of a bad filter', async () => {
      await expect(listSessions(store.client, { since: 'last tuesday' })).rejects.toThrow(
        InvalidQueryError,
      );
      await expect(listSessions(store.client, { since: 'last tuesday' })).rejects.toThrow(
        /since must be a duration like 30m.*\(got "last tuesday"\)/,
      );
      await expect(listSessions(store.client, { limit: 0 })).rejects.toThrow(/limit must be/);
      await expect(listSessions(store.client, { service: "x' OR 1=1" })).rejects.toThrow(
        /service must be a label/,
      );
    });
  });

  describe('getSession', () => {
    it('returns the session and its runs in start order', async () => {
      const detail = await getSession(store.client, SESSION_A);
      expect(detail?.session).toMatchObject({ session_id: SESSION_A, runs: 4 });
      expect(detail?.runs.map((r) => r.run_id)).toEqual(fx.a);
      expect(detail?.runs.map((r) => r.service)).toEqual(['web', 'web', 'billing', 'web']);
    });

    it('returns undefined for an unknown id and refuses one that cannot be an id', async () => {
      expect(await getSession(store.client, 'k1a2b3c4.unknown')).toBeUndefined();
      await expect(getSession(store.client, 'a b')).rejects.toThrow(/sessionId must be/);
    });

    it('leaves a run without a session out of every session', async () => {
      const index = await selectRows<{ run_id: string }>(
        store.client,
        'SELECT run_id FROM agent_session_index',
        {},
      );
      expect(index.map((r) => r.run_id).sort()).toEqual([...fx.a, ...fx.b].sort());
      expect(index.map((r) => r.run_id)).not.toContain(fx.none);
    });
  });
});
