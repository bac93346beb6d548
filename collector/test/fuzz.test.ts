/**
 * Hostile input: more than 10,000 malformed bodies (see fuzz-cases.ts).
 * Every malformed one is answered 4xx, the server stays up, and the valid
 * spans sent before and after are all exported.
 */
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allCases, makeSpans, type Case } from './fuzz-cases.js';
import { post, startCollector, type TestCollector } from './helpers.js';

const CONCURRENCY = 16;

describe('hostile input', () => {
  let t: TestCollector;
  beforeAll(async () => {
    t = await startCollector({
      maxBodyBytes: 2 * 1024 * 1024,
      maxDecompressedBytes: 8 * 1024 * 1024,
    });
  });
  afterAll(async () => {
    await t.collector.close();
  });

  it('answers every malformed body 4xx and loses nothing accepted', async () => {
    const before = makeSpans(50, 'before');
    const res1 = await post(
      t.url,
      ProtobufTraceSerializer.serializeRequest(before) as Uint8Array,
      'application/x-protobuf',
    );
    expect(res1.status).toBe(200);

    const all = allCases();
    expect(all.length).toBeGreaterThanOrEqual(10_000);
    const wrong: string[] = [];
    const emptyOk = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const c = all[next++] as Case;
        const acceptedBefore = t.collector.metrics.accepted;
        const res = await post(t.url, c.body, c.contentType, c.headers);
        const text = await res.text();
        if (res.status >= 400 && res.status < 500) continue;
        // Only a well-formed request may be answered 200, and then it must carry no spans.
        if (
          res.status === 200 &&
          c.mayBeEmptyRequest &&
          t.collector.metrics.accepted === acceptedBefore
        ) {
          emptyOk.set(c.kind, (emptyOk.get(c.kind) ?? 0) + 1);
          continue;
        }
        wrong.push(`${c.kind}: ${res.status} ${text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(wrong).toEqual([]);
    // Well-formed-by-chance inputs are rare, never most of a category.
    for (const [kind, n] of emptyOk)
      expect(n, kind).toBeLessThan(all.filter((c) => c.kind === kind).length / 10);

    const health = await fetch(`${t.url}/health`);
    expect(health.status).toBe(200);
    const after = makeSpans(50, 'after');
    const res2 = await post(
      t.url,
      JSON.stringify(
        JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(after))),
      ),
      'application/json',
    );
    expect(res2.status).toBe(200);
    await t.collector.forceFlush();
    const exported = new Set(t.exporter.getFinishedSpans().map((s) => s.spanContext().spanId));
    for (const s of [...before, ...after]) expect(exported.has(s.spanContext().spanId)).toBe(true);
    const names = t.exporter.getFinishedSpans().map((s) => s.name);
    expect(names.filter((n) => n.startsWith('before_') || n.startsWith('after_'))).toHaveLength(
      100,
    );
    console.info(
      JSON.stringify({
        fuzzCases: all.length,
        wellFormedByChance: Object.fromEntries(emptyOk),
        exported: exported.size,
      }),
    );
  }, 300_000); // CPU-bound: 17 s alone, over 120 s with three files beside it at load 12
});
