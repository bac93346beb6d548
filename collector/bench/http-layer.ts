/**
 * HTTP layer benchmark: Hono on `@hono/node-server` (what the collector uses)
 * against bare `node:http`, both reading a POST body and answering 200, for a
 * one-span body (framework overhead dominates) and a 512-span body (what the
 * official exporter sends by default). Client: node:http with keep-alive.
 *
 *   npx tsx collector/bench/http-layer.ts      (BENCH_HTTP_S per case, default 3)
 *
 * Prints one JSON line: {"bench":"collector-http-layer", ...}.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const SECONDS = Number(process.env.BENCH_HTTP_S ?? 3);
const IN_FLIGHT = 8;

async function readAll(req: Request): Promise<number> {
  const buf = await req.arrayBuffer();
  return buf.byteLength;
}

function honoServer(): Promise<{ port: number; close: () => void }> {
  const app = new Hono();
  app.post('/v1/traces', async (c) => {
    await readAll(c.req.raw);
    return c.body(new Uint8Array(0), 200, { 'content-type': 'application/x-protobuf' });
  });
  return new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ port: info.port, close: () => s.close() }),
    );
  });
}

function nodeServer(): Promise<{ port: number; close: () => void }> {
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  return new Promise((resolve) =>
    s.listen(0, '127.0.0.1', () =>
      resolve({ port: (s.address() as AddressInfo).port, close: () => s.close() }),
    ),
  );
}

async function load(
  port: number,
  body: Buffer,
): Promise<{ requestsPerSecond: number; meanMs: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/traces',
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  for (let i = 0; i < 200; i++) await once();
  const until = performance.now() + SECONDS * 1000;
  const start = performance.now();
  let n = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < until) {
        await once();
        n++;
      }
    }),
  );
  const s = (performance.now() - start) / 1000;
  agent.destroy();
  return {
    requestsPerSecond: Math.round(n / s),
    meanMs: Number(((s * 1000 * IN_FLIGHT) / n).toFixed(3)),
  };
}

const result: Record<string, unknown> = { bench: 'collector-http-layer', inFlight: IN_FLIGHT };
for (const [size, body] of [
  ['bodyBytes600', Buffer.alloc(600, 1)],
  ['bodyBytes285k', Buffer.alloc(284_731, 1)],
] as const) {
  for (const [name, start] of [
    ['hono', honoServer],
    ['nodeHttp', nodeServer],
  ] as const) {
    const server = await start();
    result[`${name}_${size}`] = await load(server.port, body);
    server.close();
  }
}
process.stdout.write(`${JSON.stringify(result)}\n`);
