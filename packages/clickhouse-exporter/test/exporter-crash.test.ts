/**
 * The exporter's promise tested by crashing: an application exporting
 * through `ClickHouseSpanExporter` into an embedded store gets SIGKILL at a
 * random moment under load and is restarted on the same directory, for
 * several rounds. Every span whose export call was called back SUCCESS must
 * be stored after the last start, exactly once: with a spool (the call is
 * acknowledged once fsynced; a restart replays it under its deduplication
 * token) and without one (acknowledged once inserted).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createStore } from '../src/store.js';
import { tempDir } from './support/store.js';

const CHILD = fileURLToPath(new URL('./support/exporter-crash-child.ts', import.meta.url));
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 3);
/** The kill comes this long after the round's first acknowledgement: random in [0, SPREAD). */
const KILL_SPREAD_MS = 2_000;
const START_TIMEOUT_MS = 120_000;

interface Child {
  readonly acked: Set<string>;
  readonly firstAck: Promise<void>;
  readonly exited: Promise<number | null>;
  kill(): void;
  stderr(): string;
}

function startChild(storePath: string, spool: 'on' | 'off', final = false): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, STORE_PATH: storePath, SPOOL: spool, FINAL: final ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked = new Set<string>();
  let stderr = '';
  let buffered = '';
  let onFirst: () => void = () => undefined;
  const firstAck = new Promise<void>((resolve) => (onFirst = resolve));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('ACK ')) continue;
      for (const id of line.slice(4).split(' ')) acked.add(id);
      onFirst();
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { acked, firstAck, exited, kill: () => child.kill('SIGKILL'), stderr: () => stderr };
}

describe.each(['on', 'off'] as const)('ClickHouseSpanExporter under kill -9, spool %s', (spool) => {
  it(`stores every acknowledged span exactly once over ${ROUNDS} SIGKILL rounds`, async () => {
    const storePath = tempDir(`exporter-crash-${spool}`);
    const acked = new Set<string>();
    const perRound: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const child = startChild(storePath, spool);
      const started = await Promise.race([
        child.firstAck.then(() => true),
        child.exited.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), START_TIMEOUT_MS)),
      ]);
      if (!started) process.stderr.write(child.stderr());
      expect(started).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * KILL_SPREAD_MS));
      child.kill();
      expect(await child.exited).toBeNull();
      perRound.push(child.acked.size);
      for (const id of child.acked) acked.add(id);
    }
    // A last start replays what the spool holds, then flushes and exits.
    const last = startChild(storePath, spool, true);
    const code = await last.exited;
    if (code !== 0) process.stderr.write(last.stderr());
    expect(code).toBe(0);

    const store = createStore({ path: storePath });
    try {
      const result = await store.client.query({
        query: 'SELECT SpanId AS id, count() AS n FROM otel_traces GROUP BY SpanId',
        format: 'JSONEachRow',
      });
      const rows = await result.json<{ id: string; n: string }>();
      const stored = new Set(rows.map((row) => row.id));
      const missing = [...acked].filter((id) => !stored.has(id));
      const duplicates = rows.filter((row) => Number(row.n) > 1);
      process.stderr.write(
        `exporter-crash (spool ${spool}): ${ROUNDS} rounds, acknowledged ${acked.size} ` +
          `(per round ${perRound.join(', ')}), stored ${stored.size}, missing ${missing.length}, ` +
          `duplicates ${duplicates.length}\n`,
      );
      expect(perRound.every((n) => n > 0)).toBe(true);
      expect(missing).toEqual([]);
      expect(duplicates).toEqual([]);
    } finally {
      await store.close();
    }
  }, 900_000);
});
