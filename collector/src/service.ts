/**
 * The collector as a service: opens the store (embedded by default, a
 * server by URL), applies the migrations, writes accepted spans with the
 * ClickHouse exporter and serves the query API beside OTLP ingest.
 */
import type { AddressInfo } from 'node:net';
import {
  ClickHouseSpanExporter,
  createStore,
  DEFAULT_MAX_QUEUE_SIZE,
  migrate,
  type StoreOptions,
} from '@agenttrace/clickhouse-exporter';
import { createTokenVerifier } from './auth.js';
import { createCollector, type Collector } from './create-collector.js';
import type { CollectorLogger } from './logger.js';
import type { CollectorOptions } from './options.js';
import { queryRoutes } from './query-routes.js';

/** Spans the collector may hold beyond what the exporter queues: one export batch. */
const EXPORT_BATCH = 1_024;

/** Options of {@link startCollectorService}. */
export interface CollectorServiceOptions {
  /** Where spans are stored. @default the embedded store at ./.agenttrace/store */
  store?: StoreOptions;
  /** Bearer tokens for ingest and queries; none means no authentication. @default [] */
  tokens?: readonly string[];
  /** @default 4318 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  logger?: CollectorLogger;
  /** Further collector options (limits, tail sampling, policy). */
  collector?: Omit<CollectorOptions, 'exporter' | 'tokens' | 'logger' | 'downstreamBacklog'>;
}

/** A running collector service. */
export interface CollectorService {
  readonly collector: Collector;
  readonly address: AddressInfo;
  /** Stops serving, flushes spans to the store and closes it. Idempotent. */
  close(): Promise<void>;
}

/** Starts the collector service; resolves once it listens. */
export async function startCollectorService(
  options: CollectorServiceOptions = {},
): Promise<CollectorService> {
  const store = createStore(options.store ?? {});
  try {
    await migrate(store.client, { database: store.database });
    const exporter = new ClickHouseSpanExporter({ store });
    const tokens = options.tokens ?? [];
    const collector = createCollector({
      ...options.collector,
      exporter,
      tokens,
      logger: options.logger,
      // clients get 429 before the exporter's own queue could overflow
      maxQueueSpans: Math.min(
        options.collector?.maxQueueSpans ?? 16_384,
        DEFAULT_MAX_QUEUE_SIZE - EXPORT_BATCH,
      ),
      downstreamBacklog: () => exporter.stats.queuedSpans,
    });
    collector.app.route('/v1', queryRoutes(store.client, createTokenVerifier(tokens)));
    const address = await collector.listen(options.port ?? 4318, options.host ?? '127.0.0.1');
    let closing: Promise<void> | undefined;
    return {
      collector,
      address,
      close: () =>
        (closing ??= (async () => {
          await collector.close();
          await store.close();
        })()),
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
