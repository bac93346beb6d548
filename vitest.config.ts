import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs no engine; `integration` talks to the real
 * ClickHouse engine (chDB) and real HTTP servers. The forks pool is required:
 * the threads pool segfaults beside chdb's native addon.
 */
export default defineConfig({
  test: {
    pool: 'forks',
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
