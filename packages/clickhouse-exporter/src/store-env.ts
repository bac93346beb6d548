/**
 * The thin environment layer: turns `AGENTTRACE_CLICKHOUSE_*` variables into
 * {@link StoreOptions}. Core classes never read `process.env`; an entry point
 * calls this and passes the result on.
 */
import type { StoreOptions } from './store-options.js';

/** Environment variable names read by {@link storeOptionsFromEnv}. */
export const STORE_ENV = {
  url: 'AGENTTRACE_CLICKHOUSE_URL',
  username: 'AGENTTRACE_CLICKHOUSE_USER',
  password: 'AGENTTRACE_CLICKHOUSE_PASSWORD',
  database: 'AGENTTRACE_CLICKHOUSE_DATABASE',
} as const;

/**
 * Reads store options from an environment map. Unset or empty variables are
 * left out, so explicit options spread after them win:
 *
 * @example
 * ```ts
 * const exporter = new ClickHouseSpanExporter({ ...storeOptionsFromEnv(process.env), maxQueueSize: 50_000 });
 * ```
 */
export function storeOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): StoreOptions {
  const options: StoreOptions = {};
  for (const [field, name] of Object.entries(STORE_ENV) as [keyof typeof STORE_ENV, string][]) {
    const value = env[name];
    if (value !== undefined && value !== '') options[field] = value;
  }
  return options;
}
