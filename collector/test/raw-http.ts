/**
 * Raw HTTP/1.1 over `node:net` for tests that need what `fetch` cannot do:
 * send headers and part of a body, then stall, trickle, or stream far more
 * than any limit, and see exactly what the server answers and when it closes.
 */
import { connect, type Socket } from 'node:net';

/** What came back on one raw connection. */
export interface RawExchange {
  readonly socket: Socket;
  /** Resolves with the status line's code once a status line arrived (0 if the socket closed first). */
  readonly status: Promise<number>;
  /** Resolves once the server closed the connection, with everything it sent. */
  readonly closed: Promise<string>;
}

/**
 * Opens a connection to `url` (http://host:port) and sends `head`, the
 * request line and headers, ended by a blank line unless `endHeaders` is false.
 */
export function rawRequest(url: string, head: string[], endHeaders = true): RawExchange {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => undefined);
  let received = '';
  let settleStatus: (code: number) => void = () => undefined;
  const status = new Promise<number>((resolve) => (settleStatus = resolve));
  const closed = new Promise<string>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(received);
      if (m) settleStatus(Number(m[1]));
    });
    socket.on('close', () => {
      settleStatus(0);
      resolve(received);
    });
  });
  socket.write(`${head.join('\r\n')}\r\n${endHeaders ? '\r\n' : ''}`);
  return { socket, status, closed };
}

/** One chunk of a chunked body. */
export function chunk(data: string | Uint8Array): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  return Buffer.concat([
    Buffer.from(`${bytes.length.toString(16)}\r\n`),
    bytes,
    Buffer.from('\r\n'),
  ]);
}

/**
 * Writes up to `total` bytes of filler as chunked body in `size`-byte chunks,
 * honouring back-pressure, until done or the server stops the exchange.
 * Resolves with the bytes handed to the socket.
 */
export async function streamFiller(
  x: RawExchange,
  total: number,
  chunked: boolean,
  size = 64 * 1024,
): Promise<number> {
  const piece = chunked ? chunk(Buffer.alloc(size, 0x61)) : Buffer.alloc(size, 0x61);
  let stopped = false;
  void x.status.then(() => (stopped = true));
  void x.closed.then(() => (stopped = true));
  let sent = 0;
  for (let i = 0; i * size < total && !stopped && !x.socket.destroyed; i++) {
    sent += size;
    if (!x.socket.write(piece))
      await new Promise<void>((resolve) => {
        const done = () => {
          x.socket.off('drain', done);
          x.socket.off('close', done);
          resolve();
        };
        x.socket.once('drain', done);
        x.socket.once('close', done);
      });
  }
  return sent;
}
