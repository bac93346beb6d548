/**
 * The spool as a write-ahead log: appends that arrive together share one
 * flush round (group commit), every acknowledged line is in its file, and
 * the byte bound refuses what would not fit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool, spoolBytes } from '../src/spool.js';
import { tempDir } from './support/store.js';

describe('Spool', () => {
  it('group-commits concurrent appends into far fewer sync rounds than calls', async () => {
    const spool = new Spool(tempDir('spool-group'));
    const calls = 200;
    const lines = Array.from({ length: calls }, (_, i) => [`{"n":${i}}`, `{"n":${i + calls}}`]);
    for (const l of lines) expect(spool.reserve(spoolBytes(l))).toBe(true);
    // Two batch files, appends interleaved, all issued before any settles.
    await Promise.all(lines.map((l, i) => spool.append(i % 2 === 0 ? 'a' : 'b', l)));
    expect(spool.rounds).toBeGreaterThanOrEqual(1);
    expect(spool.rounds).toBeLessThan(calls / 10);
    await spool.close();
    const stored = ['a', 'b'].flatMap((t) =>
      readFileSync(join(spool.dir, `${t}.ndjson`), 'utf8')
        .trim()
        .split('\n'),
    );
    expect(new Set(stored).size).toBe(calls * 2);
    expect(spool.size).toBe(lines.reduce((n, l) => n + spoolBytes(l), 0));
  });

  it('keeps appends to one file in call order', async () => {
    const spool = new Spool(tempDir('spool-order'));
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) writes.push(spool.append('t', [`${i}`]));
    await Promise.all(writes);
    await spool.seal('t');
    expect(await spool.read(join(spool.dir, 't.ndjson'))).toEqual(
      Array.from({ length: 50 }, (_, i) => `${i}`),
    );
  });

  it('refuses a reservation past maxBytes and gives bytes back on remove', async () => {
    const dir = tempDir('spool-bound');
    const spool = new Spool(dir, 100);
    const line = ['x'.repeat(59)]; // 60 bytes with its newline
    expect(spool.reserve(spoolBytes(line))).toBe(true);
    await spool.append('one', line);
    expect(spool.reserve(spoolBytes(line))).toBe(false);
    expect(spool.size).toBe(60);
    await spool.remove('one');
    expect(spool.size).toBe(0);
    expect(spool.reserve(spoolBytes(line))).toBe(true);
  });

  it('measures files left by an earlier run against the bound', async () => {
    const dir = tempDir('spool-leftover');
    const first = new Spool(dir, 1_000);
    expect(first.reserve(spoolBytes(['y'.repeat(99)]))).toBe(true);
    await first.append('old', ['y'.repeat(99)]);
    await first.close();
    const second = new Spool(dir, 150);
    expect(second.size).toBe(100);
    expect(second.reserve(60)).toBe(false);
    expect(second.leftovers().map((l) => l.token)).toEqual(['old']);
  });
});
