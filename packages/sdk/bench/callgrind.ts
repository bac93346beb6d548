/**
 * Bench: instructions per span (valgrind callgrind's `Ir`) of agenttrace
 * against bare OTel on the same spans (workload.ts), repeatable on a noisy
 * machine where wall time is not. Each side runs in its own process under
 * callgrind with the normal JIT (a `--jitless` count would measure an
 * interpreter no user runs), V8 on one thread (`--single-threaded`: no
 * concurrent compiler or GC threads, whose work would land in the count in
 * a different amount each time) and fixed hash and random seeds. The child
 * makes a fixed warm-up in blocks made like the measured ones, then the measured blocks between two markers:
 * callgrind zeroes its counts on entry to libuv's `uv_get_free_memory`
 * (`os.freemem()`) and dumps them on entry to `uv_get_total_memory`
 * (`os.totalmem()`), so start-up, module loading and JIT warm-up are left
 * out; the GC work the measured runs cause is counted. Prints one JSON line.
 * Run: `npm run bench -- sdk-callgrind` (needs `valgrind` on the PATH).
 * `CALLGRIND_SIDES=bare,agenttrace,agenttrace-api` adds the API without the
 * allowlist, to split agenttrace's cost; `CALLGRIND_OUT_DIR` keeps the
 * files for `callgrind_annotate`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SIDE_NAMES, type SideName } from './pipeline.js';
import { SPANS_PER_RUN } from './workload.js';

const WARM_RUNS = Number(process.env.CALLGRIND_WARM_RUNS ?? 3_000);
/**
 * Runs per measured block, and blocks. The figure is the mean `Ir` per span
 * over the blocks without the JIT compilers' part; each block is printed too.
 */
const MEASURED_RUNS = Number(process.env.CALLGRIND_RUNS ?? 300);
const BLOCKS = Number(process.env.CALLGRIND_BLOCKS ?? 6);
/** Processes under valgrind at once (the counts do not depend on it). */
const JOBS = Number(process.env.CALLGRIND_JOBS ?? 2);
const SIDES = (process.env.CALLGRIND_SIDES ?? 'bare,agenttrace').split(',') as SideName[];
/** Where the callgrind files are kept, for `callgrind_annotate`; a temp dir (removed) if unset. */
const KEEP_DIR = process.env.CALLGRIND_OUT_DIR;
/**
 * V8 flags: one thread and fixed seeds, so the same work counts the same.
 * (`--predictable-gc-schedule` was tried: its fixed heap growth brought full
 * GCs into later blocks on both sides, 15-25k Ir/span, worse than without.)
 */
const NODE_FLAGS = ['--single-threaded', '--hash-seed=1', '--random-seed=1'];
/** The child's markers (libuv functions nothing else calls while it runs). */
const ZERO_AT = 'uv_get_free_memory';
const DUMP_AT = 'uv_get_total_memory';
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'callgrind-child.js');
const run = promisify(execFile);

/** Error when valgrind's output has no instruction total. */
export class CallgrindOutputError extends Error {
  readonly code = 'callgrind_output';
  override readonly name = 'CallgrindOutputError';
}

/** Total `Ir` of one callgrind output file (its `summary:` or `totals:` line). */
function totalIr(file: string): number {
  const text = readFileSync(file, 'utf8');
  const m = /^(?:summary|totals): (\d+)/m.exec(text);
  if (m === null) throw new CallgrindOutputError(`no summary or totals line in ${file}`);
  return Number(m[1]);
}

/** V8's optimizing compilers and deoptimizer (C++ symbols in the node binary). */
const COMPILER_FN =
  /v8::internal::(?:compiler|maglev|turboshaft)::|Deoptimizer|OptimizedCompilationJob/;
/** V8's garbage collector (scavenger, mark-compact, sweeper and their visitors). */
const GC_FN =
  /Scaveng|Sweep|MarkCompact|Marking|Evacuat|IteratePointers|PretenuringHandler|RememberedSet|Heap::|heap::base::|GCTracer|ConcurrentMarking|IterateObjectCache|SizeFromMap/;

/**
 * Self `Ir` of V8's JIT compilers in one dump, from `callgrind_annotate`: a
 * one-time cost (a function reaching its next tier), which lands in whichever
 * block it happens in, so the figure leaves it out and prints it beside.
 */
async function splitIr(file: string): Promise<{ compilerIr: number; gcIr: number }> {
  const { stdout } = await run('callgrind_annotate', ['--threshold=100', file], {
    maxBuffer: 64 * 1024 * 1024,
  });
  let compilerIr = 0;
  let gcIr = 0;
  for (const line of stdout.split('\n')) {
    const m = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const n = Number(m[1]!.replaceAll(',', ''));
    if (COMPILER_FN.test(m[2]!)) compilerIr += n;
    else if (GC_FN.test(m[2]!)) gcIr += n;
  }
  return { compilerIr, gcIr };
}

/**
 * One measured block: its `Ir`, the part V8's JIT compilers spent, and the
 * part its GC spent (how many collections land in a block of 2,100 spans
 * depends on V8's heap heuristics, which read the clock: 1-3k Ir/span at low
 * load, 8-17k at load 10, on the same tree).
 */
interface Block {
  readonly ir: number;
  readonly compilerIr: number;
  readonly gcIr: number;
}

/** The part number callgrind gives a dump (`….out.3` → 3). */
function partOf(file: string): number {
  return Number(/\.(\d+)$/.exec(file)?.[1] ?? 0);
}

/** The `Ir` of each measured block of one side: the dumps the end marker triggered. */
async function count(dir: string, side: SideName): Promise<Block[]> {
  const base = `callgrind.${side}.out`;
  await run('valgrind', [
    '--tool=callgrind',
    `--callgrind-out-file=${join(dir, base)}`,
    `--zero-before=${ZERO_AT}`,
    `--dump-before=${DUMP_AT}`,
    process.execPath,
    ...NODE_FLAGS,
    CHILD,
    side,
    String(WARM_RUNS),
    String(MEASURED_RUNS),
    String(BLOCKS),
  ]);
  // node itself calls uv_get_total_memory once at start-up (heap sizing): the child's blocks are the last dumps
  const dumps = readdirSync(dir)
    .filter((f) => f.startsWith(`${base}.`))
    .map((f) => join(dir, f))
    .filter((f) => readFileSync(f, 'utf8').includes(`Trigger: --dump-before=${DUMP_AT}`))
    .sort((x, y) => partOf(x) - partOf(y))
    .slice(-BLOCKS);
  if (dumps.length !== BLOCKS)
    throw new CallgrindOutputError(`expected ${BLOCKS} dumps at ${DUMP_AT} for ${side} in ${dir}`);
  return Promise.all(dumps.map(async (f) => ({ ir: totalIr(f), ...(await splitIr(f)) })));
}

/** The median of `xs` (the mean of the two middle ones for an even count). */
function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

async function main(): Promise<void> {
  for (const side of SIDES)
    if (!SIDE_NAMES.includes(side))
      throw new TypeError(
        `CALLGRIND_SIDES: each must be one of ${SIDE_NAMES.join(', ')} (got ${side})`,
      );
  const dir = KEEP_DIR ?? mkdtempSync(join(tmpdir(), 'agenttrace-callgrind-'));
  const loadBefore = loadavg()[0]!;
  const ir: Partial<Record<SideName, Block[]>> = {};
  let next = 0;
  const worker = async () => {
    while (next < SIDES.length) {
      const side = SIDES[next++]!;
      ir[side] = await count(dir, side);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, JOBS) }, worker));
  if (KEEP_DIR === undefined) rmSync(dir, { recursive: true, force: true });

  const spans = MEASURED_RUNS * SPANS_PER_RUN;
  const perSpan: Partial<Record<SideName, number>> = {};
  const blocks: Partial<Record<SideName, number[]>> = {};
  const compiler: Partial<Record<SideName, number[]>> = {};
  const gc: Partial<Record<SideName, number[]>> = {};
  const mutator: Partial<Record<SideName, number>> = {};
  const mutatorByBlock: Partial<Record<SideName, number[]>> = {};
  const mutatorMedian: Partial<Record<SideName, number>> = {};
  const fewest: Partial<Record<SideName, number>> = {};
  for (const side of SIDES) {
    const b = ir[side]!;
    blocks[side] = b.map((x) => Math.round(x.ir / spans));
    compiler[side] = b.map((x) => Math.round(x.compilerIr / spans));
    gc[side] = b.map((x) => Math.round(x.gcIr / spans));
    mutator[side] = Math.round(
      b.reduce((sum, x) => sum + x.ir - x.compilerIr - x.gcIr, 0) / (b.length * spans),
    );
    // a block where a function re-tiers runs part of its spans in slower code, which the
    // compile split cannot take out: the median block is the figure such a block cannot move
    mutatorByBlock[side] = b.map((x) => Math.round((x.ir - x.compilerIr - x.gcIr) / spans));
    mutatorMedian[side] = median(mutatorByBlock[side]);
    // JIT and GC events only ever add work to a block: the least disturbed block is the one
    // with the fewest instructions, the steady state's figure (repeatable to 0.4 % here)
    fewest[side] = Math.min(...mutatorByBlock[side]);
    // the mean over the blocks (GC lands in some blocks and not others), JIT compiling left out
    perSpan[side] = Math.round(
      b.reduce((sum, x) => sum + x.ir - x.compilerIr, 0) / (b.length * spans),
    );
  }
  const ratio = (side: SideName, of = perSpan) => {
    const n = of[side];
    const base = of.bare;
    return base !== undefined && n !== undefined ? Number((n / base).toFixed(3)) : undefined;
  };
  process.stdout.write(
    `${JSON.stringify({
      bench: 'sdk-callgrind',
      nodeFlags: NODE_FLAGS.join(' '),
      warmRuns: WARM_RUNS,
      measuredRuns: MEASURED_RUNS,
      spansPerRun: SPANS_PER_RUN,
      blocks: BLOCKS,
      irPerSpan: perSpan,
      irPerSpanByBlock: blocks,
      compilerIrPerSpanByBlock: compiler,
      gcIrPerSpanByBlock: gc,
      mutatorIrPerSpan: mutator,
      mutatorRatio: ratio('agenttrace', mutator),
      mutatorIrPerSpanByBlock: mutatorByBlock,
      mutatorMedianIrPerSpan: mutatorMedian,
      mutatorMedianRatio: ratio('agenttrace', mutatorMedian),
      minMutatorIrPerSpan: fewest,
      minMutatorRatio: ratio('agenttrace', fewest),
      ratio: ratio('agenttrace'),
      ...(SIDES.includes('agenttrace-api') ? { apiOnlyRatio: ratio('agenttrace-api') } : {}),
      target: 1.15,
      loadAverage1m: [Number(loadBefore.toFixed(2)), Number(loadavg()[0]!.toFixed(2))],
      ...(KEEP_DIR !== undefined ? { outDir: KEEP_DIR } : {}),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
