/**
 * `agenttrace demo`: runs the example agents into the store (embedded by
 * default), then shows the runs, the waterfall of the run that needed
 * retries, stats and the signals that fired: agent behaviour visible in
 * seconds.
 */
import { ClickHouseSpanExporter, migrate } from '@agenttrace/clickhouse-exporter';
import { getRunSteps, getRuns, getStats, listRuns, listSignals } from '@agenttrace/query';
import { runExamples } from '@agenttrace/examples/all';
import { createTracerProvider } from '@agenttrace/sdk';
import { table } from '../format/table.js';
import { waterfall } from '../format/waterfall.js';
import { print, type GlobalOptions } from '../io.js';
import { describeStore, withStore } from '../store-access.js';
import { runColumns, statsColumns } from './read.js';
import { signalColumns } from './signals.js';

/** Runs the demo; progress goes to stderr so `--json` output stays clean. */
export async function runDemo(g: GlobalOptions): Promise<void> {
  const started = Date.now();
  await withStore(g, async (store) => {
    g.io.err.write(`agenttrace demo: writing to ${describeStore(g)}\n`);
    await migrate(store.client, { database: store.database });
    const exporter = new ClickHouseSpanExporter({ store, flushIntervalMs: 200 });
    const provider = createTracerProvider({
      exporter,
      serviceName: 'agenttrace-demo',
      environment: 'demo',
      scheduledDelayMillis: 200,
    });
    const since = new Date(Date.now() - 1000);
    const summary = await runExamples(provider, (line) => g.io.err.write(`  ${line}\n`));
    await provider.forceFlush();
    await provider.shutdown();

    const runs = await listRuns(store.client, { since: since.toISOString(), limit: 50 });
    const retried = runs.find((r) => r.retry_count > 0 && r.status === 'success') ?? runs[0];
    const detail = retried ? (await getRuns(store.client, retried.run_id))[0] : undefined;
    const steps = detail ? await getRunSteps(store.client, detail.run_id) : [];
    const stats = await getStats(store.client, { by: 'agent', since: '1h' });
    const byModel = await getStats(store.client, { by: 'model', since: '1h' });
    const signals = await listSignals(store.client, { since: since.toISOString() });
    const seconds = (Date.now() - started) / 1000;
    print(
      g,
      {
        summary,
        runs,
        trace: detail ? { run: detail, steps } : null,
        stats,
        byModel,
        signals,
        seconds,
      },
      () =>
        [
          g.paint('bold', `${runs.length} runs traced in ${seconds.toFixed(1)} s`),
          table(runs, runColumns(g)),
          '',
          detail ? waterfall(detail, steps, g.paint) : '',
          '',
          g.paint('bold', 'stats by agent (last hour)'),
          table(stats, statsColumns('agent')),
          '',
          g.paint('bold', 'model calls by model (last hour)'),
          table(byModel, statsColumns('model')),
          '',
          g.paint('bold', `signals fired (${signals.length})`),
          table(signals, signalColumns(g)),
          '',
          `next: agenttrace runs --status failure · agenttrace trace <run-id> · agenttrace stats --by variant · agenttrace signals · agenttrace sql "SELECT * FROM agent_failures"`,
        ].join('\n'),
    );
  });
}
