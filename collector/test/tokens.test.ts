/**
 * Tokens from a file and the environment, never argv: the tokens file's
 * format and permission checks, and the collector entry (`main.ts`) started
 * with `--tokens-file` or `AGENTTRACE_COLLECTOR_TOKENS_FILE`, which writes
 * its address file into the store and removes it on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectTokens, COLLECTOR_ADDRESS_FILE, readTokensFile } from '../src/index.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TOKEN_A = 'token-a-0123456789abcdef';
const TOKEN_B = 'token-b-0123456789abcdef';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'agenttrace-tokens-'));
}

function tokensFile(text: string, mode = 0o600): string {
  const path = join(tempDir(), 'tokens');
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe('readTokensFile', () => {
  it('reads one token a line, skipping blank lines and # comments', () => {
    const path = tokensFile(`# rotated 2026-01\n${TOKEN_A}\n\n  ${TOKEN_B}  \r\n# old\n`);
    expect(readTokensFile(path)).toEqual({ tokens: [TOKEN_A, TOKEN_B], warning: undefined });
  });

  it('refuses a file other users can write, naming the path and the fix', () => {
    const path = tokensFile(`${TOKEN_A}\n`, 0o622);
    expect(() => readTokensFile(path)).toThrow(
      `tokens file ${path} is writable by other users (mode 622): run chmod 600 ${path}`,
    );
  });

  it('accepts a file other users can read, with a warning', () => {
    const path = tokensFile(`${TOKEN_A}\n`, 0o644);
    expect(readTokensFile(path).warning).toBe(
      `tokens file ${path} is readable by other users (mode 644): run chmod 600 ${path}`,
    );
  });

  it('refuses a short token by line number without echoing it', () => {
    const path = tokensFile(`${TOKEN_A}\nshort-secret\n`);
    let message = '';
    try {
      readTokensFile(path);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      `tokens file ${path} line 2: a token must be at least 16 characters (got 12)`,
    );
    expect(message).not.toContain('short-secret');
  });

  it('refuses a file with no token, which would turn authentication off', () => {
    const path = tokensFile('# nothing yet\n\n');
    expect(() => readTokensFile(path)).toThrow(`tokens file ${path} holds no token`);
  });

  it('refuses a missing file', () => {
    const path = join(tempDir(), 'absent');
    expect(() => readTokensFile(path)).toThrow(`tokens file ${path} cannot be read (ENOENT)`);
  });

  it('joins the comma-separated list and the file, once each', () => {
    const path = tokensFile(`${TOKEN_B}\n${TOKEN_A}\n`);
    expect(collectTokens({ list: ` ${TOKEN_A} ,`, file: path }).tokens).toEqual([TOKEN_A, TOKEN_B]);
    expect(collectTokens({}).tokens).toEqual([]);
  });
});

/** Starts `main.ts` and resolves with its base URL once it listens. */
async function startMain(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, AGENTTRACE_COLLECTOR_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start: ${log}`)), 45_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const m = /"msg":"collector listening".*?"port":(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited ${code}: ${log}`));
    });
  });
  return { child, url, log: () => log };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const EMPTY_TRACES = JSON.stringify({ resourceSpans: [] });

function postTraces(url: string, token?: string): Promise<Response> {
  return fetch(`${url}/v1/traces`, {
    method: 'POST',
    body: EMPTY_TRACES,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
}

describe('the collector entry', () => {
  it('takes tokens from --tokens-file, publishes its address in the store and removes it on SIGTERM', async () => {
    const store = join(tempDir(), 'store');
    const path = tokensFile(`${TOKEN_A}\n`);
    const { child, url } = await startMain(['--tokens-file', path], {
      AGENTTRACE_STORE_PATH: store,
    });
    const addressFile = join(store, COLLECTOR_ADDRESS_FILE);
    try {
      expect((await postTraces(url)).status).toBe(401);
      expect((await postTraces(url, TOKEN_B)).status).toBe(401);
      expect((await postTraces(url, TOKEN_A)).status).toBe(200);
      expect(JSON.parse(readFileSync(addressFile, 'utf8'))).toEqual({
        version: 1,
        pid: child.pid,
        url,
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
      });
      expect(statSync(addressFile).mode & 0o777).toBe(0o600);
    } finally {
      await stop(child);
    }
    expect(existsSync(addressFile)).toBe(false);
  }, 90_000);

  it('takes tokens from AGENTTRACE_COLLECTOR_TOKENS_FILE beside AGENTTRACE_COLLECTOR_TOKENS', async () => {
    const path = tokensFile(`${TOKEN_B}\n`);
    const { child, url } = await startMain([], {
      AGENTTRACE_STORE_PATH: join(tempDir(), 'store'),
      AGENTTRACE_COLLECTOR_TOKENS_FILE: path,
      AGENTTRACE_COLLECTOR_TOKENS: TOKEN_A,
    });
    try {
      expect((await postTraces(url)).status).toBe(401);
      expect((await postTraces(url, TOKEN_A)).status).toBe(200);
      expect((await postTraces(url, TOKEN_B)).status).toBe(200);
    } finally {
      await stop(child);
    }
  }, 90_000);

  it('refuses to start with a tokens file other users can write', async () => {
    const path = tokensFile(`${TOKEN_A}\n`, 0o666);
    await expect(
      startMain(['--tokens-file', path], { AGENTTRACE_STORE_PATH: join(tempDir(), 'store') }),
    ).rejects.toThrow('is writable by other users');
  }, 90_000);
});
