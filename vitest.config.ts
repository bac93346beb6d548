import { availableParallelism } from 'node:os';
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * Workspace packages export their TypeScript sources under this condition
 * (first in each `exports` entry), their build under `import`/`require`:
 * tests run on `src/` without a build.
 */
const SOURCE_CONDITION = '@agenttrace/source';

// Child processes a test starts (the CLI binary, `tsx` scripts) resolve the same way.
if (!(process.env.NODE_OPTIONS ?? '').includes(`--conditions=${SOURCE_CONDITION}`)) {
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, `--conditions=${SOURCE_CONDITION}`]
    .filter(Boolean)
    .join(' ');
}

/**
 * Two projects: `unit` needs no engine; `integration` talks to the real
 * ClickHouse engine (chDB) and real HTTP servers. The forks pool is required:
 * the threads pool segfaults beside chdb's native addon.
 */
export default defineConfig({
  // vitest's own default is Vite's server conditions without `module`; vitest
  // also hands these to its workers as `--conditions`.
  ssr: {
    resolve: {
      conditions: [SOURCE_CONDITION, ...defaultServerConditions.filter((c) => c !== 'module')],
    },
  },
  test: {
    pool: 'forks',
    // Files run side by side: most integration files spend their time in chDB
    // (migrations) or waiting (child processes, SIGKILL rounds, outages, retry
    // backoff), so one worker more than there are cores keeps both cores busy
    // (vitest's default, cores - 1, ran one file at a time on a 2-core CI machine:
    // 1,341 s for `npm test`). `--maxWorkers` on the command line overrides it.
    maxWorkers: Math.max(availableParallelism(), 2) + 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/sdk/test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            'packages/clickhouse-exporter/test/**/*.test.ts',
            'collector/test/**/*.test.ts',
            'examples/test/**/*.test.ts',
            'dashboards/test/**/*.test.ts',
            'packages/query/test/**/*.test.ts',
            'packages/cli/test/**/*.test.ts',
            'packages/integrations/test/**/*.test.ts',
          ],
        },
      },
    ],
  },
});
