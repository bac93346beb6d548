/**
 * Provider comparison: latency, errors and cost per provider and model from
 * the model steps in `agent_steps`, cost over time from `agent_stats`, and
 * fallbacks: a failed model step whose next model step in the same run went
 * to another provider.
 */
import { agentDashboard } from '../dashboard.js';
import { table, timeSeries, unit } from '../panels.js';
import { HOURLY_RANGE, RUN_FILTERS, STEP_FILTERS } from '../variables.js';

/**
 * The model without a dated snapshot or `-latest` suffix, as prices are
 * keyed (the schema's model_key_v1 rule): a failed call only knows the
 * requested `gpt-4o-mini`, a successful one the response's
 * `gpt-4o-mini-2024-07-18`, and they belong in one row.
 */
const MODEL_NAME =
  "replaceRegexpOne(lower(model), '-(latest|[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8})$', '') AS model_name";

const MODEL_STEPS = `FROM agent_steps\nWHERE $__timeFilter(started_at) AND step_type = 'model' AND ${STEP_FILTERS}`;

/**
 * Each model step with the provider and model of the next model step of its
 * run (`''` for the last one), in time order.
 */
const WITH_NEXT = [
  `SELECT started_at, provider, ${MODEL_NAME}, failure_code,`,
  '  leadInFrame(provider) OVER w AS next_provider, leadInFrame(model_name) OVER w AS next_model',
  MODEL_STEPS,
  'WINDOW w AS (PARTITION BY run_id ORDER BY started_at ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)',
].join('\n');
const FALLBACK = "failure_code != '' AND next_provider != '' AND next_provider != provider";

/** Builds the Provider comparison dashboard. */
export function providerComparisonDashboard() {
  return agentDashboard(
    'agenttrace-providers',
    'agenttrace / Provider comparison',
    'Model providers and models side by side: latency, errors, cost and fallbacks.',
  )
    .withPanel(
      table({
        title: 'Providers and models',
        description:
          'Model calls per provider and model: error rate, latency, time to first chunk, tokens and cost.',
        rawSql: [
          `SELECT provider, ${MODEL_NAME}, count() AS calls, countIf(failure_code != '') / calls AS error_rate,`,
          '  quantile(0.5)(duration_ms) AS p50_ms, quantile(0.95)(duration_ms) AS p95_ms,',
          '  quantile(0.5)(time_to_first_chunk_ms) AS ttfc_p50_ms,',
          '  sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,',
          '  sum(cost_usd) AS cost_usd, cost_usd / calls AS cost_per_call',
          MODEL_STEPS,
          'GROUP BY provider, model_name ORDER BY calls DESC, provider, model_name',
        ].join('\n'),
        place: { x: 0, y: 0, w: 24, h: 8 },
        overrides: {
          error_rate: [unit('percentunit')],
          p50_ms: [unit('ms')],
          p95_ms: [unit('ms')],
          ttfc_p50_ms: [unit('ms')],
          cost_usd: [unit('currencyUSD')],
          cost_per_call: [unit('currencyUSD')],
        },
      }),
    )
    .withPanel(
      timeSeries({
        title: 'p95 latency by provider',
        description: 'Model call duration p95 per provider, per interval.',
        rawSql: [
          'SELECT $__timeInterval(started_at) AS time, provider, quantile(0.95)(duration_ms) AS p95_ms',
          MODEL_STEPS,
          'GROUP BY time, provider ORDER BY time',
        ].join('\n'),
        place: { x: 0, y: 8, w: 12, h: 8 },
        unit: 'ms',
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Cost by provider',
        description: 'Model cost per provider, from the hourly agent_stats rollup.',
        rawSql: [
          'SELECT $__timeInterval(bucket) AS time, provider, sum(cost_usd) AS cost_usd',
          'FROM agent_stats',
          `WHERE ${HOURLY_RANGE} AND step_type = 'model' AND ${RUN_FILTERS}`,
          'GROUP BY time, provider ORDER BY time',
        ].join('\n'),
        place: { x: 12, y: 8, w: 12, h: 8 },
        unit: 'currencyUSD',
        stacked: true,
      }),
    )
    .withPanel(
      table({
        title: 'Errors by provider',
        description: 'Failed model calls per provider, model and failure code.',
        rawSql: [
          `SELECT provider, ${MODEL_NAME}, failure_code, count() AS failures, max(http_status) AS http_status`,
          MODEL_STEPS,
          "  AND failure_code != ''",
          'GROUP BY provider, model_name, failure_code ORDER BY failures DESC',
        ].join('\n'),
        place: { x: 0, y: 16, w: 12, h: 8 },
      }),
    )
    .withPanel(
      table({
        title: 'Fallbacks',
        description:
          'Failed model calls whose next model call in the same run went to another provider: from → to, by failure code.',
        rawSql: [
          'SELECT provider AS from_provider, model_name AS from_model, next_provider AS to_provider,',
          '  next_model AS to_model, failure_code, count() AS fallbacks',
          `FROM (\n${WITH_NEXT}\n)`,
          `WHERE ${FALLBACK}`,
          'GROUP BY from_provider, from_model, to_provider, to_model, failure_code ORDER BY fallbacks DESC',
        ].join('\n'),
        place: { x: 12, y: 16, w: 12, h: 8 },
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Fallbacks over time',
        description: 'Fallbacks per interval by the provider that failed.',
        rawSql: [
          'SELECT $__timeInterval(started_at) AS time, provider AS from_provider, count() AS fallbacks',
          `FROM (\n${WITH_NEXT}\n)`,
          `WHERE ${FALLBACK}`,
          'GROUP BY time, from_provider ORDER BY time',
        ].join('\n'),
        place: { x: 0, y: 24, w: 24, h: 8 },
        unit: 'short',
      }),
    );
}
