/**
 * One side of the callgrind bench, run under valgrind by `callgrind.ts`:
 * `node callgrind-child.js <side> <warm-up runs> <runs per block> [blocks]`.
 * Every block, warm-up or measured, is made the same way: its runs, then an
 * awaited flush, so each starts from the same state (empty export queue,
 * same async resource) and the warm-up trains the JIT on the path the
 * measured blocks take. Measured blocks run between two markers
 * (`os.freemem()` and `os.totalmem()`, native calls callgrind zeroes and
 * dumps its counts on), so start-up, module loading, warm-up and the flush
 * are left out.
 */
import { freemem, totalmem } from 'node:os';
import {
  bareSide,
  installContextManager,
  oursSide,
  SIDE_NAMES,
  type Side,
  type SideName,
} from './pipeline.js';

const [sideName, warm, measured, blocks = '1'] = process.argv.slice(2);
installContextManager();
const makers: Record<SideName, () => Side> = {
  bare: () => bareSide(),
  agenttrace: () => oursSide(),
  'agenttrace-api': () => oursSide(false),
};
if (!(SIDE_NAMES as readonly unknown[]).includes(sideName))
  throw new TypeError(`side must be one of ${SIDE_NAMES.join(', ')} (got ${sideName})`);
const side = makers[sideName as SideName]();
const perBlock = Number(measured);
// warm-up: blocks of the measured size (the last one shorter when it does not divide)
for (let left = Number(warm); left > 0; left -= perBlock) {
  side.runs(Math.min(left, perBlock));
  await side.provider.forceFlush();
}
// markers for callgrind: counts are zeroed on entry to libuv's free-memory
// call and dumped on entry to its total-memory call; each block is measured
// on its own, so a block that still pays for JIT work shows against the others
for (let b = 0; b < Number(blocks); b++) {
  freemem();
  side.runs(perBlock);
  totalmem();
  await side.provider.forceFlush();
}
process.stdout.write(`${JSON.stringify({ side: side.name, exported: side.exporter.exported })}\n`);
