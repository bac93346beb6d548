/**
 * Crashes tested by crashing: the real collector runs as a child process on
 * an embedded store, clients send spans as fast as it takes them, and the
 * child gets SIGKILL at a random moment; it is restarted on the same
 * directory, for several rounds. Every span acknowledged with a 200 must be
 * stored after the last restart, exactly once, and no span twice.
 *
 * CRASH_ROUNDS (default 4) raises the number of rounds. The same test runs
 * with the spool off (`AGENTTRACE_NO_SPOOL=1`, 2 rounds): a 200 then waits
 * for the insert into the store, so nothing acknowledged may be missing
 * there either.
 *
 * A third variant runs with tail sampling on (`AGENTTRACE_TAIL_SAMPLING_RATE`
 * 0.5, 2 rounds): each trace is sent as its child spans, then its run (root)
 * span in a later request, a quarter of the runs failed, so spans wait for
 * their decision (or for `decisionWaitMs`) in the tail spool. Every
 * acknowledged span of a kept trace (kept by its hash, or its failed run was
 * acknowledged) must be stored exactly once, and no span of a trace that could
 * only have been dropped may be stored.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createStore } from '@agenttrace/clickhouse-exporter';
import { describe, expect, it } from 'vitest';
import { keepByTraceId } from '../src/tail-sampler.js';
import { startCollectorChild } from './support/crash-child.js';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 4);
const CLIENTS = 6;
const SPANS_PER_REQUEST = 25;
/** The kill comes this long after the round's first 200: random in [MIN, MIN + SPREAD). */
const KILL_MIN_MS = 0;
const KILL_SPREAD_MS = 2_500;
/** Longest wait for a round's first 200 before the kill timer starts anyway. */
const FIRST_ACK_TIMEOUT_MS = 60_000;
/** Bound on the requests one client sends in one round. */
const MAX_REQUESTS_PER_ROUND = 2_000;

let nextSpan = 1;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** One OTLP/JSON request of fresh, unique spans. */
function request(): { body: string; ids: string[] } {
  const traceId = hex(nextSpan, 32);
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: SPANS_PER_REQUEST }, () => {
    const spanId = hex(nextSpan++, 16);
    return {
      traceId,
      spanId,
      name: 'crash_step',
      kind: 1,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 1_000_000n),
    };
  });
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'crash' } }] },
        scopeSpans: [{ scope: { name: 'crash-test' }, spans }],
      },
    ],
  });
  return { body, ids: spans.map((s) => s.spanId) };
}

/** The tail variant's share of successful traces kept. */
const TAIL_RATE = 0.5;
/** What the tail variant sent of one trace. */
interface TraceSent {
  readonly failed: boolean;
  rootSent: boolean;
  rootAcked: boolean;
}
const traces = new Map<string, TraceSent>();
const traceOf = new Map<string, string>();
let nextTrace = 0;

/**
 * The tail variant's requests of one client: a trace's child spans, then its
 * run span (status error for every fourth trace), under a random trace id
 * (the sampler decides by its hash).
 */
function tailRequests(): () => { body: string; ids: string[]; root?: string } {
  let open: { traceId: string; rootId: string } | undefined;
  return () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = (traceId: string, spanId: string, parent?: string, failed = false) => {
      traceOf.set(spanId, traceId);
      return {
        traceId,
        spanId,
        ...(parent ? { parentSpanId: parent } : {}),
        name: parent ? 'crash_step' : 'crash_run',
        kind: 1,
        startTimeUnixNano: String(now),
        endTimeUnixNano: String(now + 1_000_000n),
        ...(failed ? { status: { code: 2 } } : {}),
      };
    };
    let spans;
    let root: string | undefined;
    if (open === undefined) {
      const traceId = randomBytes(16).toString('hex');
      const rootId = hex(nextSpan++, 16);
      traces.set(traceId, { failed: nextTrace++ % 4 === 0, rootSent: false, rootAcked: false });
      open = { traceId, rootId };
      spans = Array.from({ length: SPANS_PER_REQUEST - 1 }, () =>
        span(traceId, hex(nextSpan++, 16), rootId),
      );
    } else {
      const t = traces.get(open.traceId) as TraceSent;
      t.rootSent = true;
      root = open.traceId;
      spans = [span(open.traceId, open.rootId, undefined, t.failed)];
      open = undefined;
    }
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'crash' } }] },
          scopeSpans: [{ scope: { name: 'crash-test' }, spans }],
        },
      ],
    });
    return { body, ids: spans.map((x) => x.spanId), ...(root ? { root } : {}) };
  };
}

interface Round {
  acknowledged: number;
  refused: number;
  inFlightAtKill: number;
}

/** One client: posts until `stop` says so; records acknowledged span ids. */
async function client(
  url: string,
  acked: Set<string>,
  sent: Set<string>,
  stop: () => boolean,
  next: () => { body: string; ids: string[]; root?: string } = request,
) {
  const round = { acknowledged: 0, refused: 0, lost: 0 };
  for (let i = 0; i < MAX_REQUESTS_PER_ROUND && !stop(); i++) {
    const { body, ids, root } = next();
    for (const id of ids) sent.add(id);
    try {
      const res = await fetch(`${url}/v1/traces`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      const text = await res.text();
      if (res.status === 200) {
        // A partial success would mean some spans were not taken.
        expect(text).not.toContain('rejectedSpans');
        for (const id of ids) acked.add(id);
        if (root !== undefined) (traces.get(root) as TraceSent).rootAcked = true;
        round.acknowledged += ids.length;
      } else {
        round.refused += ids.length;
        await new Promise((r) => setTimeout(r, 20));
      }
    } catch {
      // The collector died under this request: not acknowledged.
      round.lost += ids.length;
      return round;
    }
  }
  return round;
}

const VARIANTS = [
  { spool: 'on', rounds: ROUNDS, env: {} },
  { spool: 'off', rounds: Math.min(ROUNDS, 2), env: { AGENTTRACE_NO_SPOOL: '1' } },
  {
    spool: 'on, tail sampling',
    rounds: Math.min(ROUNDS, 2),
    env: {
      AGENTTRACE_TAIL_SAMPLING_RATE: String(TAIL_RATE),
      AGENTTRACE_TAIL_DECISION_WAIT_MS: '2000',
    },
  },
] as const;

describe.each(VARIANTS)('collector under kill -9, spool $spool', ({ rounds: ROUNDS, env }) => {
  const tail = 'AGENTTRACE_TAIL_SAMPLING_RATE' in env;
  it(`stores every acknowledged span exactly once over ${ROUNDS} SIGKILL rounds`, async () => {
    const storePath = join(mkdtempSync(join(tmpdir(), 'agenttrace-crash-')), 'store');
    const acked = new Set<string>();
    const sent = new Set<string>();
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const child = await startCollectorChild(storePath, env);
      let killed = false;
      const clients = Array.from({ length: CLIENTS }, () =>
        client(child.url, acked, sent, () => killed, tail ? tailRequests() : request),
      );
      // The kill timer starts at the round's first 200 (bounded wait: a loaded machine is slow).
      const before = acked.size;
      for (let waited = 0; acked.size === before && waited < FIRST_ACK_TIMEOUT_MS; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) =>
        setTimeout(resolve, KILL_MIN_MS + Math.random() * KILL_SPREAD_MS),
      );
      child.process.kill('SIGKILL');
      killed = true;
      const code = await child.exited;
      if (code !== null) process.stderr.write(child.log());
      expect(code).toBeNull();
      const results = await Promise.all(clients);
      rounds.push({
        acknowledged: results.reduce((n, c) => n + c.acknowledged, 0),
        refused: results.reduce((n, c) => n + c.refused, 0),
        inFlightAtKill: results.reduce((n, c) => n + c.lost, 0),
      });
    }
    // A last start replays the spool; SIGTERM then flushes and exits cleanly.
    const last = await startCollectorChild(storePath, env);
    // Signal handlers are set once the service is up: wait for it to answer.
    expect((await fetch(`${last.url}/health`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    last.process.kill('SIGTERM');
    const code = await last.exited;
    if (code !== 0) process.stderr.write(last.log());
    expect(code).toBe(0);

    const store = createStore({ path: storePath });
    try {
      const result = await store.client.query({
        query: 'SELECT SpanId AS id, count() AS n FROM otel_traces GROUP BY SpanId',
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ id: string; n: string }>();
      const stored = new Map(rows.map((row) => [row.id, Number(row.n)]));
      /** Tail variant: kept for sure (hash, or its failed run acknowledged), or possibly (run sent). */
      const keptFor = (id: string, sure: boolean) => {
        const traceId = traceOf.get(id) as string;
        const t = traces.get(traceId) as TraceSent;
        return keepByTraceId(traceId, TAIL_RATE) || (t.failed && (sure ? t.rootAcked : t.rootSent));
      };
      const missing = [...acked].filter((id) => !stored.has(id) && (!tail || keptFor(id, true)));
      const sampledOut = tail ? rows.filter((row) => !keptFor(row.id, false)) : [];
      const duplicates = rows.filter((row) => Number(row.n) > 1);
      const unknown = rows.filter((row) => !sent.has(row.id));
      process.stderr.write(
        `crash-loop: ${ROUNDS} rounds, acknowledged ${acked.size}, stored ${stored.size}, ` +
          `missing ${missing.length}, duplicates ${duplicates.length}, ` +
          (tail ? `stored though sampled out ${sampledOut.length}, ` : '') +
          `per round ${JSON.stringify(rounds)}\n`,
      );
      expect(rounds.every((round) => round.acknowledged > 0)).toBe(true);
      expect(missing).toEqual([]);
      expect(duplicates).toEqual([]);
      expect(unknown).toEqual([]);
      expect(sampledOut).toEqual([]);
      if (tail) {
        // Both decisions were taken: some acknowledged traces kept, some sampled out.
        const ackedTraces = new Set([...acked].map((id) => traceOf.get(id) as string));
        const kept = [...ackedTraces].filter((t) => keepByTraceId(t, TAIL_RATE));
        expect(kept.length).toBeGreaterThan(0);
        expect(kept.length).toBeLessThan(ackedTraces.size);
      }
    } finally {
      await store.close();
    }
  }, 600_000);
});
