/**
 * Lingering close for a request refused before its body was read (408, 413).
 * Closing the socket outright while the client is still sending makes the
 * client's kernel receive a reset, which can discard the answer before the
 * client reads it: it then sees a dropped connection instead of the 413
 * naming the limit. So the answer is sent and the write side shut (FIN),
 * and what the client still sends is read and thrown away for a bounded
 * number of bytes and time, then the socket is destroyed.
 */
import type { Socket } from 'node:net';

/** How much of a refused body is still read, and for how long, before the socket goes. */
export interface LingerLimits {
  readonly maxBytes: number;
  readonly maxMs: number;
}

/** Defaults: enough for what a client has in flight, far below any body limit's cost. */
export const DEFAULT_LINGER: LingerLimits = { maxBytes: 4 * 1024 * 1024, maxMs: 2_000 };

/**
 * Makes `socket` close lingeringly once Node's HTTP server would destroy it
 * after the current response: Node calls `destroySoon()` then, which is
 * replaced on this one socket.
 */
export function lingerOnClose(socket: Socket, limits: LingerLimits = DEFAULT_LINGER): void {
  if (socket.destroyed) return;
  socket.destroySoon = () => linger(socket, limits);
}

function linger(socket: Socket, limits: LingerLimits): void {
  let read = 0;
  const done = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(done, limits.maxMs);
  timer.unref();
  // Node's HTTP parser is detached by now; what comes is the refused body.
  socket.removeAllListeners('data');
  socket.on('data', (chunk: Buffer) => {
    read += chunk.length;
    if (read > limits.maxBytes) done();
  });
  socket.once('end', done);
  socket.once('close', () => clearTimeout(timer));
  socket.end();
  socket.resume();
}
