/**
 * Bench: wall time per span of agenttrace (run/step API + allowlist) against
 * bare OTel making the same spans (workload.ts), both through a
 * `BatchSpanProcessor` into a no-op exporter, in one process. First it
 * proves both sides export the same spans; then warm-up rounds, then
 * interleaved ABBA… rounds (order swapped each round). Prints one JSON line:
 * the median of the per-round ratios, their spread and the load average.
 * Run: `npm run bench -- sdk-overhead` (on the compiled package).
 */
import { loadavg } from 'node:os';
import { bareSide, installContextManager, oursSide, type Side } from './pipeline.js';
import { SPANS_PER_RUN, spanShapes } from './workload.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const RUNS_PER_ROUND = Number(process.env.BENCH_RUNS ?? 1_500);
const WARMUP_ROUNDS = 5;
const SPANS_PER_ROUND = RUNS_PER_ROUND * SPANS_PER_RUN;
/** Pause between rounds, so the batch processor exports and the event loop turns, as in an app. */
const PAUSE_MS = 40;

/** Error when the two sides do not export the same spans: the bench would compare different work. */
export class BenchMismatchError extends Error {
  readonly code = 'bench_mismatch';
  override readonly name = 'BenchMismatchError';
}

/** Makes one run on each side and throws unless both export the same span shapes. */
async function assertSameSpans(bare: Side, ours: Side): Promise<void> {
  const shapes: string[][] = [];
  for (const side of [bare, ours]) {
    side.exporter.kept = [];
    side.runs(1);
    await side.provider.forceFlush();
    shapes.push(spanShapes(side.exporter.kept));
    side.exporter.kept = undefined;
  }
  const [a = [], b = []] = shapes;
  const differ = a.length !== b.length || a.some((s, i) => s !== b[i]);
  if (differ)
    throw new BenchMismatchError(
      `the two sides export different spans:\nbare:\n${a.join('\n')}\nagenttrace:\n${b.join('\n')}`,
    );
}

function time(side: Side): number {
  const start = process.hrtime.bigint();
  side.runs(RUNS_PER_ROUND);
  return Number(process.hrtime.bigint() - start) / SPANS_PER_ROUND;
}

function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const median = (xs: readonly number[]) => quantile(xs, 0.5);
const round3 = (x: number) => Number(x.toFixed(3));

async function main(): Promise<void> {
  installContextManager();
  const bare = bareSide();
  const ours = oursSide();
  await assertSameSpans(bare, ours);
  const loadBefore = loadavg()[0]!;
  for (let i = 0; i < WARMUP_ROUNDS; i++) {
    time(bare);
    time(ours);
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
  const bareNs: number[] = [];
  const oursNs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // swap the order each round so neither side always runs on a warmer heap
    if (r % 2 === 0) {
      bareNs.push(time(bare));
      oursNs.push(time(ours));
    } else {
      oursNs.push(time(ours));
      bareNs.push(time(bare));
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
  await Promise.all([bare.provider.forceFlush(), ours.provider.forceFlush()]);
  const ratios = bareNs.map((b, i) => oursNs[i]! / b);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'sdk-overhead',
      spansPerRun: SPANS_PER_RUN,
      spansPerRound: SPANS_PER_ROUND,
      rounds: ROUNDS,
      bareNsPerSpan: Math.round(median(bareNs)),
      agenttraceNsPerSpan: Math.round(median(oursNs)),
      // paired: each round's two timings ran back to back, so their ratio cancels most machine noise
      ratio: round3(median(ratios)),
      ratioP25: round3(quantile(ratios, 0.25)),
      ratioP75: round3(quantile(ratios, 0.75)),
      ratioMin: round3(Math.min(...ratios)),
      ratioMax: round3(Math.max(...ratios)),
      ratioOfMedians: round3(median(oursNs) / median(bareNs)),
      target: 1.15,
      loadAverage1m: [round3(loadBefore), round3(loadavg()[0]!)],
      exportedBare: bare.exporter.exported,
      exportedAgenttrace: ours.exporter.exported,
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
