/**
 * `agenttrace collector --session-key-file`: a key file that cannot be used
 * stops the collector before it starts, with a message naming the path and
 * never the key.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/agenttrace.js', import.meta.url));

function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, NO_COLOR: '1', AGENTTRACE_SESSION_KEY: '' } },
      (err, _stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
    );
  });
}

describe('agenttrace collector --session-key-file', () => {
  it('exits 2 on a short key, naming the file and not printing the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agenttrace-cli-key-'));
    const keyFile = join(dir, 'session.key');
    writeFileSync(keyFile, 'short-cli-secret\n', { mode: 0o600 });
    const { code, stderr } = await cli([
      '--path',
      join(dir, 'store'),
      'collector',
      '--port',
      '0',
      '--session-key-file',
      keyFile,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `session key file ${keyFile} must hold a key of at least 32 bytes (got 16 bytes)`,
    );
    expect(stderr).not.toContain('short-cli-secret');
  });
});
