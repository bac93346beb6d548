/**
 * Drives the real collector (`collector/src/main.ts`) as a child process for
 * crash tests: start it on a store directory, learn its port from its
 * `collector listening` log line, SIGKILL or SIGTERM it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

/** A running collector child. */
export interface CollectorChild {
  readonly process: ChildProcess;
  readonly url: string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The child's stderr so far (JSON log lines). */
  log(): string;
}

/** Starts `main.ts` under tsx (node itself, so a signal reaches the collector, not a wrapper). */
export function startCollectorChild(
  storePath: string,
  env: Record<string, string> = {},
): Promise<CollectorChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      AGENTTRACE_STORE_PATH: storePath,
      AGENTTRACE_COLLECTOR_PORT: '0',
      AGENTTRACE_COLLECTOR_TOKENS: '',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`collector did not start within ${START_TIMEOUT_MS} ms:\n${stderr}`));
    }, START_TIMEOUT_MS);
    child.stderr?.setEncoding('utf8');
    let started = false;
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      if (started) return;
      const line = stderr.split('\n').find((l) => l.includes('collector listening'));
      if (line === undefined) return;
      const { port } = JSON.parse(line) as { port: number };
      started = true;
      clearTimeout(timer);
      resolve({ process: child, url: `http://127.0.0.1:${port}`, exited, log: () => stderr });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited (${code}) before listening:\n${stderr}`));
    });
  });
}
