/**
 * The CLI finds the collector that holds the embedded store through the
 * address file the collector writes there, and sends its token to that
 * address only: a decoy answering on the default port (or anywhere else)
 * never sees a request, and a stale or missing file is a clear error.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/agenttrace.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agenttrace-address-'));
const store = join(dir, 'store');
const addressFile = join(store, 'collector.json');
const TOKEN = 'address-test-token-0123456789';

function secretFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  return path;
}
const tokensFile = secretFile('tokens', `# the collector's tokens\n${TOKEN}\n`);
const tokenFile = secretFile('token', `${TOKEN}\n`);
const wrongTokenFile = secretFile('wrong-token', 'not-the-token-0123456789\n');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '--path', store, ...args],
      { env: { ...process.env, NO_COLOR: '1', ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A server that answers like a collector would and records who called it. */
interface Decoy {
  server: Server;
  url: string;
  seen: { url: string | undefined; authorization: string | undefined }[];
}

async function startDecoy(): Promise<Decoy> {
  const seen: Decoy['seen'] = [];
  const server = createServer((req: IncomingMessage, res) => {
    seen.push({ url: req.url, authorization: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    res.end(req.url === '/health' ? '{"status":"ok"}' : '{"runs":[{"agent":"decoy"}]}');
  });
  // The old CLI probed 127.0.0.1:4318; take that port when it is free.
  const port = await new Promise<number>((resolve) => {
    server.once('error', () =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
    server.listen(4318, '127.0.0.1', () => resolve(4318));
  });
  return { server, url: `http://127.0.0.1:${port}`, seen };
}

let collector: ChildProcess;
let collectorUrl = '';
let decoy: Decoy;

beforeAll(async () => {
  decoy = await startDecoy();
  collector = spawn(
    process.execPath,
    [BIN, '--path', store, 'collector', '--port', '0', '--tokens-file', tokensFile],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let log = '';
  collectorUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start: ${log}`)), 60_000);
    collector.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const m = /OTLP\/HTTP on (http:\/\/[^/]+)\/v1\/traces/.exec(log);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
}, 90_000);

afterAll(async () => {
  if (collector.exitCode === null) {
    const exited = new Promise((resolve) => collector.once('exit', resolve));
    collector.kill('SIGTERM');
    await exited;
  }
  await new Promise((resolve) => decoy.server.close(resolve));
});

describe('reading while the collector holds the embedded store', () => {
  it('reads through the collector at the address in its file, with the token from a file', async () => {
    expect(JSON.parse(readFileSync(addressFile, 'utf8'))).toMatchObject({
      pid: collector.pid,
      url: collectorUrl,
    });
    const r = await cli(['runs', '--json'], { AGENTTRACE_COLLECTOR_TOKEN_FILE: tokenFile });
    expect(r.stderr).toContain(
      `reading through the collector at ${collectorUrl} (pid ${collector.pid})`,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const refused = await cli(['--token-file', wrongTokenFile, 'runs']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the collector at ${collectorUrl} refused the token`);
    expect(decoy.seen).toEqual([]);
  }, 60_000);

  it('warns when the token is given in argv', async () => {
    const r = await cli(['--token', TOKEN, 'runs', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--token on the command line is visible to other users');
  }, 60_000);

  it('sends nothing when the address file is stale or missing', async () => {
    const real = readFileSync(addressFile, 'utf8');
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    try {
      writeFileSync(
        addressFile,
        JSON.stringify({
          version: 1,
          pid: gone,
          url: decoy.url,
          startedAt: new Date().toISOString(),
        }),
      );
      const stale = await cli(['runs'], { AGENTTRACE_COLLECTOR_TOKEN_FILE: tokenFile });
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain(
        `the collector address file in ${store} is stale (pid ${gone} is not running)`,
      );

      writeFileSync(addressFile, '{"not":"an address file"}');
      const missing = await cli(['runs'], { AGENTTRACE_COLLECTOR_TOKEN_FILE: tokenFile });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(
        `no valid collector address file (collector.json) in ${store}`,
      );
      expect(decoy.seen).toEqual([]);
    } finally {
      writeFileSync(addressFile, real);
    }
  }, 60_000);

  it('removes the address file when the collector stops', async () => {
    const exited = new Promise((resolve) => collector.once('exit', resolve));
    collector.kill('SIGTERM');
    await exited;
    expect(existsSync(addressFile)).toBe(false);
  }, 60_000);
});
