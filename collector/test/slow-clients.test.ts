/**
 * Slow and oversized requests over raw sockets: a body that never finishes
 * gets 408 at `bodyTimeoutMs` and frees its `maxConcurrentRequests` slot, so
 * stalled clients cannot lock others out; bodies past a route's limit get 413
 * and the connection is closed without reading the rest.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestTimeoutError } from '../src/index.js';
import { markRequestStart, readBody } from '../src/read-body.js';
import { hexId, post, startCollector, type TestCollector } from './helpers.js';
import { chunk, rawRequest, streamFiller, type RawExchange } from './raw-http.js';

const MiB = 1024 * 1024;

function validBody(): string {
  const span = {
    traceId: hexId(16),
    spanId: hexId(8),
    name: 'chat',
    kind: 'SPAN_KIND_CLIENT',
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000250000000',
  };
  return JSON.stringify({
    resourceSpans: [{ scopeSpans: [{ scope: { name: 's' }, spans: [span] }] }],
  });
}

/** Headers of a chunked `/v1/traces` POST. */
function tracesHead(contentType = 'application/json'): string[] {
  return [
    'POST /v1/traces HTTP/1.1',
    'host: 127.0.0.1',
    `content-type: ${contentType}`,
    'transfer-encoding: chunked',
  ];
}

/** Sends headers and the first bytes of a body, then nothing more. */
function stall(url: string, contentType?: string): RawExchange {
  const x = rawRequest(url, tracesHead(contentType));
  x.socket.write(chunk('{"resourceSpans":['));
  return x;
}

/** Everything the server read on its side, over every connection it accepted. */
function countBytesRead(t: TestCollector): () => number {
  const sockets: Socket[] = [];
  t.collector.server?.on('connection', (s: Socket) => sockets.push(s));
  return () => sockets.reduce((n, s) => n + s.bytesRead, 0);
}

describe('slow clients', () => {
  let t: TestCollector | undefined;
  const open: RawExchange[] = [];
  afterEach(async () => {
    for (const x of open.splice(0)) x.socket.destroy();
    await t?.collector.close();
    t = undefined;
  });

  it('answers a stalled body 408 in the OTLP encoding, naming the limit, and closes the connection', async () => {
    t = await startCollector({ bodyTimeoutMs: 300, requestTimeoutMs: 60_000 });
    const json = stall(t.url);
    const proto = stall(t.url, 'application/x-protobuf');
    open.push(json, proto);

    expect(await json.status).toBe(408);
    const jsonReply = await json.closed;
    expect(jsonReply).toMatch(/content-type: application\/json/i);
    expect(jsonReply).toMatch(/connection: close/i);
    expect(jsonReply).toContain('"code":4');
    expect(jsonReply).toContain('request body not received within 300 ms (bodyTimeoutMs)');

    expect(await proto.status).toBe(408);
    const protoReply = await proto.closed;
    expect(protoReply).toMatch(/content-type: application\/x-protobuf/i);
    expect(protoReply).toContain('(bodyTimeoutMs)');
    expect(t.collector.metrics.exported).toBe(0);
  });

  it('counts the whole body against the deadline: a client trickling bytes gets 408 too', async () => {
    t = await startCollector({ bodyTimeoutMs: 400, requestTimeoutMs: 60_000 });
    const x = stall(t.url);
    open.push(x);
    let answered = false;
    void x.status.then(() => (answered = true));
    // One byte every 50 ms, far more often than any idle timeout would notice.
    for (let i = 0; i < 200 && !answered; i++) {
      x.socket.write(chunk(' '));
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await x.status).toBe(408);
    await x.closed;
  });

  it('lets a normal client in once 40 stalled clients reach their deadline', async () => {
    t = await startCollector({ bodyTimeoutMs: 1_500, requestTimeoutMs: 60_000 });
    const url = t.url;
    const stalled = Array.from({ length: 40 }, () => stall(url));
    open.push(...stalled);
    const statuses = stalled.map((x) => x.status);

    // The 8 beyond maxConcurrentRequests (32) are refused at once; the rest hold every slot.
    let refusedAtOnce = 0;
    for (const s of statuses) void s.then((code) => (code === 503 ? refusedAtOnce++ : 0));
    for (let i = 0; i < 100 && refusedAtOnce < 8; i++) await new Promise((r) => setTimeout(r, 20));
    expect(refusedAtOnce).toBe(8);
    expect((await post(url, validBody(), 'application/json')).status).toBe(503);

    const codes = await Promise.all(statuses);
    expect(codes.filter((c) => c === 408)).toHaveLength(32);
    await Promise.all(stalled.map((x) => x.closed));
    const res = await post(url, validBody(), 'application/json');
    expect(res.status).toBe(200);
    await t.collector.forceFlush();
    expect(t.exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('closes a connection whose headers never finish (the server headersTimeout is bodyTimeoutMs)', async () => {
    t = await startCollector({ bodyTimeoutMs: 300, requestTimeoutMs: 60_000 });
    const x = rawRequest(t.url, ['POST /v1/traces HTTP/1.1', 'host: 127.0.0.1'], false);
    open.push(x);
    // No blank line: the headers never end. Node answers 408 and closes.
    const reply = await x.closed;
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe('readBody', () => {
  it('counts requestTimeoutMs from the arrival of the request, not from the first read', async () => {
    const never = new ReadableStream<Uint8Array>({
      pull: () => new Promise<void>(() => undefined),
    });
    const request = new Request('http://127.0.0.1/v1/traces', {
      method: 'POST',
      body: never,
      duplex: 'half',
    });
    markRequestStart(request, Date.now() - 10_000);
    const read = readBody(request, {
      maxBodyBytes: 1024,
      maxDecompressedBytes: 1024,
      bodyTimeoutMs: 60_000,
      requestTimeoutMs: 10_050,
    });
    await expect(read).rejects.toBeInstanceOf(RequestTimeoutError);
    await expect(read).rejects.toThrow('request not completed within 10050 ms (requestTimeoutMs)');
  });
});

describe('body limits while reading', () => {
  let t: TestCollector | undefined;
  const open: RawExchange[] = [];
  afterEach(async () => {
    for (const x of open.splice(0)) x.socket.destroy();
    await t?.collector.close();
    t = undefined;
  });

  const cases: { name: string; head: string[]; chunked: boolean; limit: number }[] = [
    {
      name: 'a chunked 200 MiB POST /v1/traces',
      head: tracesHead('application/x-protobuf'),
      chunked: true,
      limit: 4 * MiB,
    },
    {
      name: 'a chunked 200 MiB POST /metrics',
      head: ['POST /metrics HTTP/1.1', 'host: 127.0.0.1', 'transfer-encoding: chunked'],
      chunked: true,
      limit: 64 * 1024,
    },
    {
      name: 'a GET /health declaring 200 MiB',
      head: ['GET /health HTTP/1.1', 'host: 127.0.0.1', `content-length: ${200 * MiB}`],
      chunked: false,
      limit: 64 * 1024,
    },
    {
      name: 'a POST /v1/runs declaring 200 MiB',
      head: ['POST /v1/runs HTTP/1.1', 'host: 127.0.0.1', `content-length: ${200 * MiB}`],
      chunked: false,
      limit: 64 * 1024,
    },
  ];

  for (const c of cases)
    it(`refuses ${c.name} with 413 and reads little of it`, async () => {
      t = await startCollector();
      const bytesRead = countBytesRead(t);
      const x = rawRequest(t.url, c.head);
      open.push(x);
      const sent = await streamFiller(x, 200 * MiB, c.chunked);
      expect(await x.status).toBe(413);
      const reply = await x.closed;
      expect(reply).toMatch(/connection: close/i);
      expect(reply).toContain(`exceeds ${c.limit} bytes`);
      // What the server read: the limit plus what was in flight, never the 200 MiB.
      expect(bytesRead()).toBeLessThan(c.limit + 16 * MiB);
      expect(sent).toBeLessThan(200 * MiB);
    });

  it('reads what a refused client still sends for a while, so the client gets the 413 and a clean close, not a reset', async () => {
    t = await startCollector();
    const bytesRead = countBytesRead(t);
    const x = rawRequest(t.url, tracesHead('application/x-protobuf'));
    open.push(x);
    let reset: Error | undefined;
    x.socket.on('error', (err) => (reset = err));
    await streamFiller(x, 200 * MiB, true);
    expect(await x.status).toBe(413);
    // The client had more in flight: 1 MiB after the answer, then its end.
    const piece = chunk(Buffer.alloc(64 * 1024, 0x61));
    for (let i = 0; i < 16 && !x.socket.destroyed; i++) x.socket.write(piece);
    x.socket.end();
    const reply = await x.closed;
    expect(reply).toContain('exceeds 4194304 bytes');
    expect(reset).toBeUndefined();
    expect(bytesRead()).toBeLessThan(4 * MiB + 16 * MiB);
  });

  it('still serves a small body on a limited route', async () => {
    t = await startCollector();
    const res = await fetch(`${t.url}/metrics`, { method: 'GET' });
    expect(res.status).toBe(200);
  });
});
