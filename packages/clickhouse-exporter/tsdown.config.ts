/**
 * Build of `@agenttrace/clickhouse-exporter`. The migrations read their SQL
 * next to the module (`./schema/` from `import.meta.url`), so the schema is
 * copied beside the bundles.
 */
import { packageBuild } from '../../tsdown.base.js';

export default packageBuild({
  entry: { index: 'src/index.ts' },
  copy: [{ from: 'src/schema', to: 'dist' }],
});
