/**
 * TEST ONLY. An HTTP proxy in front of a ClickHouse HTTP endpoint that
 * injects faults on demand: answers of a given status without forwarding,
 * answers held back after the upstream ran the query (so a client timeout
 * leads to a retry of an insert that was in fact stored), and outages during
 * which the port refuses connections. Real time, real sockets, 127.0.0.1.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Counts of what the proxy did. */
export interface FaultProxyCounts {
  /** Requests that reached the proxy. */
  requests: number;
  /** Requests passed on to the upstream. */
  forwarded: number;
  /** Requests answered with an injected status. */
  injected: number;
  /** Answers held back before being sent. */
  delayed: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`; stays the same across outages. */
  readonly url: string;
  readonly counts: FaultProxyCounts;
  /** Answers the next `n` inserts with `status`, without forwarding them. */
  failNext(n: number, status: number, body?: string, headers?: Record<string, string>): void;
  /** Forwards the next `n` inserts, then holds each answer back `ms` milliseconds. */
  delayNext(n: number, ms: number): void;
  /** Refuses connections (stops listening, drops open sockets) until {@link restore}. */
  refuse(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  /** Refuses connections for `ms` milliseconds; resolves when listening again. */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

interface Fault {
  kind: 'fail' | 'delay';
  status: number;
  body: string;
  headers: Record<string, string>;
  ms: number;
}

/** Injected faults hit inserts only, so pings and lookups do not use them up. */
function isInsert(req: IncomingMessage): boolean {
  const query = new URL(req.url ?? '/', 'http://proxy').searchParams.get('query') ?? '';
  return /^\s*INSERT\b/i.test(query);
}

/** Starts a proxy to `upstream` (an `http://host:port` URL). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const counts: FaultProxyCounts = { requests: 0, forwarded: 0, injected: 0, delayed: 0 };
  const faults: Fault[] = [];
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, delayMs: number): void => {
    counts.forwarded += 1;
    const upstreamRequest = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const send = () => {
            if (res.destroyed) return;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(chunks));
          };
          if (delayMs > 0) {
            counts.delayed += 1;
            setTimeout(send, delayMs);
          } else send();
        });
      },
    );
    upstreamRequest.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('upstream unreachable');
    });
    req.pipe(upstreamRequest);
  };

  const server = createServer((req, res) => {
    counts.requests += 1;
    res.on('error', () => undefined);
    const fault = isInsert(req) ? faults.shift() : undefined;
    if (fault?.kind === 'fail') {
      counts.injected += 1;
      req.resume();
      res.writeHead(fault.status, { 'Content-Type': 'text/plain', ...fault.headers });
      res.end(fault.body);
      return;
    }
    forward(req, res, fault?.kind === 'delay' ? fault.ms : 0);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });

  await listen(0);
  const { port } = server.address() as AddressInfo;
  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    counts,
    failNext(n, status, body = `injected ${status}`, headers = {}) {
      for (let i = 0; i < n; i++) faults.push({ kind: 'fail', status, body, headers, ms: 0 });
    },
    delayNext(n, ms) {
      for (let i = 0; i < n; i++)
        faults.push({ kind: 'delay', status: 0, body: '', headers: {}, ms });
    },
    refuse: stop,
    restore: () => listen(port),
    async outage(ms) {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, ms));
      await listen(port);
    },
    close: async () => {
      if (server.listening) await stop();
    },
  };
  return proxy;
}
