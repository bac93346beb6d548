/**
 * Build of `@agenttrace/clickhouse-exporter`. The migrations read their SQL
 * next to the module (`./schema/` from `import.meta.url`), so the schema is
 * copied beside the bundles.
 */
import type { Plugin } from 'rolldown';
import { packageBuild } from '../../tsdown.base.js';

/**
 * The sources import span types from `@opentelemetry/sdk-trace-base`, a
 * 2.x-only shim over `@opentelemetry/sdk-trace`; the published declarations
 * name `@opentelemetry/sdk-trace`, which OTel JS 2.x and 3.x both publish.
 */
const sdkTrace: Plugin = {
  name: 'otel-sdk-trace',
  resolveId: {
    order: 'pre',
    handler: (id) =>
      id === '@opentelemetry/sdk-trace-base'
        ? { id: '@opentelemetry/sdk-trace', external: true }
        : undefined,
  },
};

export default packageBuild({
  entry: { index: 'src/index.ts' },
  copy: [{ from: 'src/schema', to: 'dist' }],
  // every build, the CommonJS declarations' included (tsdown's `plugins` skip that one)
  inputOptions: (options) => ({ ...options, plugins: [sdkTrace, options.plugins] }),
});
