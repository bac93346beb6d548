/**
 * Pseudonymous sessions through a real OTel pipeline (provider → allowlist →
 * simple processor → in-memory exporter): every source of a session or user
 * id becomes its HMAC pseudonym, the raw id is never exported, and without a
 * key no session is exported at all.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AgentTracer,
  AllowlistSpanProcessor,
  conventions as C,
  createPrivacyPolicy,
  createTracerProvider,
  isPseudonymShaped,
  isSafeLabel,
  looksSensitive,
  rule,
  SessionKeyError,
  SessionPseudonymizer,
  type AllowlistSpanProcessorOptions,
} from '../../src/index.js';
import { useAsyncContext } from '../support/pipeline.js';

const KEY = 'test-session-key-0123456789abcdef-one';
const KEY_2 = 'test-session-key-0123456789abcdef-two';
const RAW = 'conv-jane.doe@example.com-42';

function pipeline(options: AllowlistSpanProcessorOptions = {}) {
  useAsyncContext();
  const exporter = new InMemorySpanExporter();
  const allowlist = new AllowlistSpanProcessor(new SimpleSpanProcessor(exporter), options);
  const provider = new BasicTracerProvider({ spanProcessors: [allowlist] });
  const agent = new AgentTracer({ agentName: 'support', tracerProvider: provider });
  const raw = (attributes: Attributes): ReadableSpan => {
    provider.getTracer('third-party').startSpan('chat gpt-4o', { attributes }).end();
    return exporter.getFinishedSpans().at(-1)!;
  };
  const runSpans = () =>
    exporter.getFinishedSpans().filter((s) => s.attributes[C.ATTR_STEP_TYPE] === undefined);
  return { exporter, allowlist, agent, raw, runSpans };
}

describe('SessionPseudonymizer', () => {
  it('makes the same 53-character pseudonym for the same id and key, another for another id', () => {
    const p = new SessionPseudonymizer(KEY);
    const a = p.pseudonym('session', RAW);
    expect(a).toHaveLength(53);
    expect(isPseudonymShaped(a)).toBe(true);
    expect(new SessionPseudonymizer(KEY).pseudonym('session', RAW)).toBe(a);
    expect(p.pseudonym('session', `${RAW}x`)).not.toBe(a);
    expect(a.startsWith(p.keyId + '.')).toBe(true);
  });

  it('makes unlinkable pseudonyms under another key and for the other kind', () => {
    const p1 = new SessionPseudonymizer(KEY);
    const p2 = new SessionPseudonymizer(KEY_2);
    const a = p1.pseudonym('session', RAW);
    const b = p2.pseudonym('session', RAW);
    expect(b).not.toBe(a);
    expect(p1.keyId).not.toBe(p2.keyId);
    // no group in common: nothing of one can be found in the other
    const groupsA = new Set(a.split('.'));
    expect(b.split('.').some((g) => groupsA.has(g))).toBe(false);
    expect(p1.pseudonym('user', RAW)).not.toBe(a);
  });

  it('is idempotent for its own pseudonyms and re-hashes any other value shaped like one', () => {
    const p1 = new SessionPseudonymizer(KEY);
    const p2 = new SessionPseudonymizer(KEY_2);
    const own = p1.pseudonym('session', RAW);
    expect(p1.pseudonym('session', own)).toBe(own);
    expect(p1.verifies('session', own)).toBe(true);
    // another key's pseudonym is hashed again under this key
    const foreign = p2.pseudonym('session', RAW);
    expect(p1.pseudonym('session', foreign)).not.toBe(foreign);
    expect(p1.verifies('session', p1.pseudonym('session', foreign))).toBe(true);
    // this key's id with a forged digest or tag: hashed
    const forged = `${own.slice(0, 45)}${own.slice(45).split('').reverse().join('')}`;
    expect(isPseudonymShaped(forged)).toBe(true);
    expect(forged).not.toBe(own);
    expect(p1.pseudonym('session', forged)).not.toBe(forged);
    // a user pseudonym is no session pseudonym
    const user = p1.pseudonym('user', RAW);
    expect(p1.pseudonym('session', user)).not.toBe(user);
  });

  it('makes values every label rule of ours accepts (20,000 ids, e-mails and numbers)', () => {
    const p = new SessionPseudonymizer(KEY);
    for (let i = 0; i < 20_000; i++) {
      const v = p.pseudonym(i % 2 ? 'session' : 'user', i % 3 ? `user${i}@example.com` : `${i}`);
      if (!isSafeLabel(v) || looksSensitive(v)) throw new Error(`refused: ${v}`);
    }
  });

  it('refuses a short key with a typed error that does not echo the key', () => {
    let error: unknown;
    try {
      new SessionPseudonymizer('short-secret');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SessionKeyError);
    expect((error as SessionKeyError).code).toBe('invalid_session_key');
    expect((error as Error).message).toMatch(
      /^sessionKey must be at least 32 bytes.*\(got 12 bytes\)$/,
    );
    expect((error as Error).message).not.toContain('short-secret');
  });
});

describe('AllowlistSpanProcessor sessions', () => {
  it('groups runs of one sessionId under one pseudonym, another session under another', async () => {
    const p = pipeline({ sessionKey: KEY });
    await p.agent.run({ sessionId: RAW }, async (run) => run.step('plan', 'think', () => 1));
    await p.agent.run({ sessionId: RAW }, async () => 2);
    await p.agent.run({ sessionId: 'conv-other' }, async () => 3);
    const sessions = p.runSpans().map((s) => s.attributes[C.ATTR_SESSION_ID]);
    const expected = new SessionPseudonymizer(KEY).pseudonym('session', RAW);
    expect(sessions).toEqual([expected, expected, expect.any(String)]);
    expect(sessions[2]).not.toBe(expected);
    const all = JSON.stringify(p.exporter.getFinishedSpans().map((s) => s.attributes));
    expect(all).not.toContain('jane');
    expect(all).not.toContain('conv-other');
    expect(all).not.toContain(C.ATTR_GEN_AI_CONVERSATION_ID);
    // replaced, not dropped: no drop mark on the span, none in the counts
    expect(p.runSpans()[0]!.attributes[C.ATTR_PRIVACY_DROPPED]).toBeUndefined();
    const stats = p.allowlist.stats();
    expect(stats.pseudonymized).toBe(3);
    expect(stats.dropped).toBe(0);
    expect(stats.droppedByKey).toEqual({});
  });

  it('drops and counts the session id when no key is configured: no session is exported', async () => {
    const p = pipeline();
    await p.agent.run({ sessionId: RAW, userId: 'u-1' }, async () => 1);
    const run = p.runSpans()[0]!;
    expect(run.attributes[C.ATTR_SESSION_ID]).toBeUndefined();
    expect(run.attributes[C.ATTR_USER_ID]).toBeUndefined();
    expect(JSON.stringify(run.attributes)).not.toContain('jane');
    expect(run.attributes[C.ATTR_PRIVACY_DROPPED]).toBe(2);
    expect(p.allowlist.stats().droppedByKey).toEqual({ 'gen_ai.conversation.id': 1, 'user.id': 1 });
  });

  it('keeps user ids out by default and stores their pseudonym only with pseudonymizeUserId', async () => {
    const off = pipeline({ sessionKey: KEY });
    await off.agent.run({ sessionId: RAW, userId: 'jane-user-7' }, async () => 1);
    const a = off.runSpans()[0]!.attributes;
    expect(a[C.ATTR_USER_ID]).toBeUndefined();
    expect(a[C.ATTR_SESSION_ID]).toBeDefined();
    expect(JSON.stringify(a)).not.toContain('jane');
    expect(a[C.ATTR_PRIVACY_DROPPED]).toBe(1);
    expect(off.allowlist.stats().droppedByKey).toEqual({ 'user.id': 1 });

    const on = pipeline({ sessionKey: KEY, pseudonymizeUserId: true });
    await on.agent.run({ userId: 'jane-user-7' }, async () => 1);
    const b = on.runSpans()[0]!.attributes;
    expect(b[C.ATTR_USER_ID]).toBe(new SessionPseudonymizer(KEY).pseudonym('user', 'jane-user-7'));
    expect(b[C.ATTR_SESSION_ID]).toBeUndefined();
    expect(JSON.stringify(b)).not.toContain('jane');
  });

  describe('foreign sources', () => {
    const p1 = new SessionPseudonymizer(KEY);
    const cases: [string, Attributes, string][] = [
      ['GenAI conventions', { 'gen_ai.conversation.id': RAW }, RAW],
      ['OpenInference session.id', { 'session.id': RAW, 'openinference.span.kind': 'LLM' }, RAW],
      ['Traceloop association', { 'traceloop.association.properties.session_id': RAW }, RAW],
      ['Traceloop thread', { 'traceloop.association.properties.thread_id': RAW }, RAW],
      ['AI SDK metadata', { 'ai.telemetry.metadata.sessionId': RAW }, RAW],
      ['LangChain metadata', { 'metadata.thread_id': RAW }, RAW],
      [
        'OpenInference LangChain metadata JSON',
        { metadata: JSON.stringify({ thread_id: RAW, langgraph_step: 2 }) },
        RAW,
      ],
      ['Langfuse', { 'langfuse.session.id': RAW }, RAW],
      ['a number', { 'session.id': 4155550199 }, '4155550199'],
      [
        'the conventions before session.id',
        { 'session.id': 'other', 'gen_ai.conversation.id': RAW },
        RAW,
      ],
    ];
    it.each(cases)('%s becomes the pseudonym, the raw id is not exported', (_, attributes, raw) => {
      const p = pipeline({ sessionKey: KEY });
      const span = p.raw({ 'gen_ai.operation.name': 'chat', ...attributes });
      expect(span.attributes[C.ATTR_SESSION_ID]).toBe(p1.pseudonym('session', raw));
      const out = JSON.stringify(span.attributes);
      expect(out).not.toContain(raw);
      expect(out).not.toContain('jane');
      for (const key of Object.keys(attributes)) expect(span.attributes[key]).toBeUndefined();
    });

    it('end-user ids from Traceloop, OpenInference and the AI SDK, when enabled', () => {
      const p = pipeline({ sessionKey: KEY, pseudonymizeUserId: true });
      for (const key of [
        'user.id',
        'enduser.id',
        'traceloop.association.properties.user_id',
        'ai.telemetry.metadata.userId',
      ]) {
        const span = p.raw({ [key]: 'jane-user-7' });
        expect(span.attributes[C.ATTR_USER_ID]).toBe(p1.pseudonym('user', 'jane-user-7'));
        expect(JSON.stringify(span.attributes)).not.toContain('jane');
      }
    });
  });

  it('pseudonymizes a session id given as metadata, which is never kept raw even as a number', async () => {
    const p = pipeline({ sessionKey: KEY });
    await p.agent.run({ metadata: { session_id: 4155550, turns: 3 } }, async () => 1);
    const a = p.runSpans()[0]!.attributes;
    expect(a[C.ATTR_SESSION_ID]).toBe(
      new SessionPseudonymizer(KEY).pseudonym('session', '4155550'),
    );
    expect(a['agenttrace.meta.session_id']).toBeUndefined();
    expect(a['agenttrace.meta.turns']).toBe(3);
    const nokey = pipeline();
    await nokey.agent.run({ metadata: { user_id: 4155550 } }, async () => 1);
    expect(nokey.runSpans()[0]!.attributes['agenttrace.meta.user_id']).toBeUndefined();
    expect(() => createPrivacyPolicy({ metadata: { session_id: rule.label() } })).toThrow(
      /session_id/,
    );
  });

  it('re-hashes a client-sent agenttrace.session.id unless it is this key’s pseudonym', () => {
    const p = pipeline({ sessionKey: KEY });
    const own = new SessionPseudonymizer(KEY).pseudonym('session', RAW);
    expect(p.raw({ [C.ATTR_SESSION_ID]: own }).attributes[C.ATTR_SESSION_ID]).toBe(own);
    const foreign = new SessionPseudonymizer(KEY_2).pseudonym('session', RAW);
    const rehashed = p.raw({ [C.ATTR_SESSION_ID]: foreign }).attributes[C.ATTR_SESSION_ID];
    expect(rehashed).not.toBe(foreign);
    expect(rehashed).toBe(new SessionPseudonymizer(KEY).pseudonym('session', foreign));
    const raw = p.raw({ [C.ATTR_SESSION_ID]: 'jane@example.com' }).attributes;
    expect(JSON.stringify(raw)).not.toContain('jane');
    expect(isPseudonymShaped(raw[C.ATTR_SESSION_ID] as string)).toBe(true);
    // without a key, a client-sent pseudonym is not stored either
    const nokey = pipeline().raw({ [C.ATTR_SESSION_ID]: own });
    expect(nokey.attributes[C.ATTR_SESSION_ID]).toBeUndefined();
  });

  it('refuses a policy that would let a raw session id through', () => {
    expect(
      () =>
        new AllowlistSpanProcessor(new SimpleSpanProcessor(new InMemorySpanExporter()), {
          policy: { spanAttributes: { 'session.id': rule.label() } },
        }),
    ).toThrow(/session\.id.*can never be allowed raw/);
  });

  it('refuses a sessionId that is not a non-empty string', () => {
    const p = pipeline({ sessionKey: KEY });
    expect(() => p.agent.run({ sessionId: '' }, () => 1)).toThrow(
      'sessionId must be a non-empty string of at most 1024 characters (got a string of length 0)',
    );
  });
});

describe('createTracerProvider sessions', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of [
      'AGENTTRACE_SESSION_KEY',
      'AGENTTRACE_SESSION_KEY_FILE',
      'AGENTTRACE_PSEUDONYMIZE_USER_ID',
    ])
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
  });

  async function runOnce(options: { sessionKey?: string; pseudonymizeUserId?: boolean } = {}) {
    const exporter = new InMemorySpanExporter();
    const provider = createTracerProvider({ exporter, scheduledDelayMillis: 10, ...options });
    const agent = new AgentTracer({ agentName: 'support', tracerProvider: provider });
    agent.run({ sessionId: RAW, userId: 'jane-user-7' }, () => 1);
    await provider.forceFlush();
    const attributes = exporter.getFinishedSpans()[0]!.attributes;
    await provider.shutdown();
    return attributes;
  }

  it('reads the key from AGENTTRACE_SESSION_KEY_FILE before AGENTTRACE_SESSION_KEY, and user ids on request', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agenttrace-key-')), 'key');
    writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
    process.env.AGENTTRACE_SESSION_KEY_FILE = file;
    process.env.AGENTTRACE_SESSION_KEY = KEY_2;
    process.env.AGENTTRACE_PSEUDONYMIZE_USER_ID = 'true';
    const a = await runOnce();
    const p = new SessionPseudonymizer(KEY);
    expect(a[C.ATTR_SESSION_ID]).toBe(p.pseudonym('session', RAW));
    expect(a[C.ATTR_USER_ID]).toBe(p.pseudonym('user', 'jane-user-7'));
  });

  it('lets options win over the environment', async () => {
    process.env.AGENTTRACE_SESSION_KEY = KEY;
    process.env.AGENTTRACE_PSEUDONYMIZE_USER_ID = 'true';
    const a = await runOnce({ sessionKey: KEY_2, pseudonymizeUserId: false });
    expect(a[C.ATTR_SESSION_ID]).toBe(new SessionPseudonymizer(KEY_2).pseudonym('session', RAW));
    expect(a[C.ATTR_USER_ID]).toBeUndefined();
  });

  it('stores no session when neither option nor environment gives a key', async () => {
    delete process.env.AGENTTRACE_SESSION_KEY;
    delete process.env.AGENTTRACE_SESSION_KEY_FILE;
    const a = await runOnce();
    expect(a[C.ATTR_SESSION_ID]).toBeUndefined();
    expect(JSON.stringify(a)).not.toContain('jane');
  });

  it('refuses a short AGENTTRACE_SESSION_KEY before anything starts', () => {
    process.env.AGENTTRACE_SESSION_KEY = 'short';
    expect(() => createTracerProvider({ exporter: new InMemorySpanExporter() })).toThrow(
      SessionKeyError,
    );
  });
});
